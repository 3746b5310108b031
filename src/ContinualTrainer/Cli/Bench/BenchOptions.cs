using System.CommandLine;
using ContinualTrainer.Engine.Kernels;
using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Cli.Bench;

/// <summary>The options every throughput bench on random weights takes, and reading them: the shape, the time, threads, output.</summary>
public static class BenchOptions
{
    public static readonly Option<FileInfo> ConfigFile = new("--config")
    {
        Description = "Model shape: a Hugging Face config.json (weights are random)",
        HelpName = "CONFIG.json",
        Required = true,
    };

    public static readonly Option<double> Seconds = new("--seconds") { Description = "Measure for at least this long", DefaultValueFactory = _ => 20 };
    public static readonly Option<int?> Threads = new("--threads") { Description = "Threads for kernels and BLAS (default: every core)" };
    public static readonly Option<bool> Profile = new("--profile") { Description = "Also print the time spent in each kernel" };
    public static readonly Option<bool> Json = new("--json") { Description = "End with one JSON object on the last line" };

    /// <summary>Applies <c>--threads</c> and loads the shape of <c>--config</c>, checking that <paramref name="sequence"/> tokens fit it.</summary>
    public static ModelConfig Prepare(ParseResult parseResult, int sequence)
    {
        if (parseResult.GetValue(Threads) is { } threads)
        {
            if (threads < 1) throw new CliException($"--threads must be at least 1 (got {threads})", ExitCodes.Usage);
            Parallelism.SetThreads(threads);
        }
        var file = parseResult.GetValue(ConfigFile)!;
        if (!file.Exists) throw new CliException($"{file.FullName}: model config not found");
        ModelConfig config;
        try
        {
            config = ModelConfigLoader.Load(file.FullName);
        }
        catch (ModelConfigException e)
        {
            throw new CliException(e.Message);
        }
        if (sequence > config.MaxPositionEmbeddings)
            throw new CliException($"--seq {sequence} exceeds the model's max_position_embeddings {config.MaxPositionEmbeddings}", ExitCodes.Usage);
        return config;
    }
}
