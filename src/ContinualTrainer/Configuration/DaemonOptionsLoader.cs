using Microsoft.Extensions.Configuration;

namespace ContinualTrainer.Configuration;

/// <summary>
/// Loads the configuration: one JSON file (comments and trailing commas allowed), then environment
/// overrides <c>CONTINUAL_TRAINER__Section__Key</c>, then validates every section.
/// </summary>
public static class DaemonOptionsLoader
{
    public const string DefaultConfigFile = "/etc/continual-trainer/appsettings.json";
    public const string EnvironmentPrefix = "CONTINUAL_TRAINER__";

    /// <param name="configFile">Explicit <c>--config</c>; must exist. Null: the default file when it exists.</param>
    /// <param name="stateOverride">Explicit <c>--state</c>.</param>
    public static DaemonOptions Load(string? configFile, string? stateOverride)
    {
        var file = ResolveFile(configFile);
        var builder = new ConfigurationBuilder();
        if (file is not null)
        {
            builder.AddJsonFile(file, optional: false, reloadOnChange: false);
        }
        builder.AddEnvironmentVariables(EnvironmentPrefix);

        IConfigurationRoot configuration;
        try
        {
            configuration = builder.Build();
        }
        catch (InvalidDataException e)
        {
            var detail = e.InnerException?.Message ?? e.Message;
            throw new ConfigurationException($"{file} is not valid JSON: {detail.ReplaceLineEndings(" ")}");
        }
        catch (FormatException e)
        {
            throw new ConfigurationException($"{file}: {e.Message.ReplaceLineEndings(" ")}");
        }
        return Bind(configuration, file, stateOverride);
    }

    public static DaemonOptions Bind(IConfiguration configuration, string? file, string? stateOverride)
    {
        var reader = new SettingsReader(configuration);
        var paths = PathsOptions.Read(reader, stateOverride);
        var options = new DaemonOptions
        {
            ConfigFile = file,
            Paths = paths,
            Model = ModelOptions.Read(reader, paths),
            Ingestion = IngestionOptions.Read(reader, paths),
            Metrics = MetricsOptions.Read(reader),
            Checkpoints = CheckpointsOptions.Read(reader, paths),
            Dataset = DatasetOptions.Read(reader, paths),
            Training = TrainingRunOptions.Read(reader),
            Guard = GuardOptions.Read(reader),
            Schedule = ScheduleOptions.Read(reader),
        };
        reader.RejectUnknownKeys();
        return options;
    }

    private static string? ResolveFile(string? configFile)
    {
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
                throw new ConfigurationException($"--config {configFile}: no such file");
            return Path.GetFullPath(configFile);
        }
        return File.Exists(DefaultConfigFile) ? DefaultConfigFile : null;
    }
}
