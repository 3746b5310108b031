using ContinualTrainer.Checkpoints;
using ContinualTrainer.Cli;
using ContinualTrainer.Configuration;
using ContinualTrainer.Dataset;
using ContinualTrainer.Hosting.Api;
using ContinualTrainer.Ingestion;
using ContinualTrainer.Metrics;
using ContinualTrainer.State;
using ContinualTrainer.Training;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace ContinualTrainer.Hosting;

/// <summary>
/// Builds and runs the daemon (<c>continual-trainer run</c>): a Generic Host with Kestrel on
/// <c>Metrics:Listen</c>, the main loop, and the systemd integration. SIGTERM/SIGINT stop it gracefully.
/// </summary>
public static partial class DaemonHost
{
    /// <summary>How long stopping services get before the host gives up on them.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(25);

    public static async Task<int> RunAsync(DaemonOptions options, CancellationToken cancellationToken)
    {
        var adminToken = AdminToken.Load(options.Metrics);
        var paths = options.Paths;
        Directory.CreateDirectory(paths.State);
        using var instance = InstanceLock.TryAcquire(paths.LockFile, out var holder)
            ?? throw new CliException($"another continual-trainer daemon{(holder is { } pid ? $" (pid {pid})" : "")} is running on state folder {paths.State}");
        foreach (var folder in options.Ingestion.AgentLogs.Concat(options.Ingestion.Transcripts).Append(paths.Checkpoints))
            Directory.CreateDirectory(folder);

        var database = new StateDatabase(paths.Database);
        await database.MigrateAsync(cancellationToken);

        var app = Build(options, database, adminToken);
        var meta = app.Services.GetRequiredService<MetaStore>();
        await meta.SetAsync(MetaStore.Keys.StartedAt, DateTimeOffset.UtcNow.ToString("O"), cancellationToken);
        await meta.AddEventAsync("started", $"pid {Environment.ProcessId}", cancellationToken);

        var stopping = app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (Exception e) when (stopping.IsCancellationRequested || cancellationToken.IsCancellationRequested)
        {
            // SIGTERM/SIGINT while services were still starting (Quartz opening its store, say): a stop, not a failure.
            LogStoppedWhileStarting(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DaemonHost).FullName!), e.GetBaseException().Message);
            await app.StopAsync(CancellationToken.None);
            return await RecordStoppedAsync(meta);
        }
        catch (IOException e)
        {
            throw new CliException($"Metrics:Listen {options.Metrics.Listen}: cannot listen there: {e.Message}");
        }
        var listen = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (listen is not null)
        {
            await meta.SetAsync(MetaStore.Keys.ListenUrl, listen, cancellationToken);
            LogListening(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DaemonHost).FullName!), listen,
                adminToken is null ? "open to local clients" : "need the bearer token of Metrics:AdminTokenFile");
        }
        await app.WaitForShutdownAsync(cancellationToken);
        return await RecordStoppedAsync(meta);
    }

    /// <summary>The host has stopped every service; records it outside their cancellation.</summary>
    private static async Task<int> RecordStoppedAsync(MetaStore meta)
    {
        await meta.SetAsync(MetaStore.Keys.StatusLine, "stopped", CancellationToken.None);
        await meta.SetAsync(MetaStore.Keys.StoppedAt, DateTimeOffset.UtcNow.ToString("O"), CancellationToken.None);
        await meta.AddEventAsync("stopped", "graceful", CancellationToken.None);
        return ExitCodes.Success;
    }

    private static WebApplication Build(DaemonOptions options, StateDatabase database, AdminToken? adminToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = options.Paths.State,
            EnvironmentName = Environments.Production,
        });
        ConfigureLogging(builder.Logging);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(options.Metrics.Listen);
            kestrel.Limits.MaxRequestBodySize = 64 * 1024;
            kestrel.AddServerHeader = false;
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        builder.Services.Configure<Microsoft.Extensions.Hosting.ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(database);
        services.AddSingleton<MetaStore>();
        services.AddSingleton<StatusBoard>();
        services.AddSingleton<LoopHealth>();
        services.AddSingleton(_ =>
        {
            var registry = new MetricsRegistry();
            ProcessMetrics.Register(registry, MetricsRegistry.Prefix);
            return registry;
        });
        services.AddSingleton(_ => SystemdNotifier.FromEnvironment());
        services.AddHostedService<SystemdLifecycleService>();
        services.AddHostedService<DaemonLoop>();
        services.AddIngestion(options);
        services.AddDataset(options);
        services.AddCheckpoints(options);
        services.AddTraining(options);
        services.AddTrainingSchedule(options, database);
        services.AddAdminApi();
        services.AddHostedService(sp => new WatchdogService(
            sp.GetRequiredService<SystemdNotifier>(), sp.GetRequiredService<LoopHealth>(), WatchdogSettings.FromEnvironment(),
            sp.GetRequiredService<ILogger<WatchdogService>>()));

        var app = builder.Build();
        app.UseAdminApi(adminToken);
        app.MapGet("/metrics", (MetricsRegistry registry) => Results.Text(registry.Render(), PrometheusText.ContentType));
        return app;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "stopped while starting: {Reason}")]
    private static partial void LogStoppedWhileStarting(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "listening on {Url} (/metrics, admin API /api/...; its POST endpoints {Access})")]
    private static partial void LogListening(ILogger logger, string url, string access);

    private static void ConfigureLogging(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        logging.AddFilter("Quartz", LogLevel.Warning);
        if (SystemdEnvironment.LogsToJournal)
        {
            logging.AddConsole(o => o.FormatterName = JournaldConsoleFormatter.FormatterName)
                .AddConsoleFormatter<JournaldConsoleFormatter, ConsoleFormatterOptions>();
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
        }
        logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}
