using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ContinualTrainer.Engine.Blas;
using ContinualTrainer.Engine.Kernels;
using ContinualTrainer.Engine.Lora;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Metrics;
using ContinualTrainer.Engine.Optim;
using ContinualTrainer.Engine.Training;

namespace ContinualTrainer.Cli.Bench;

/// <summary>
/// <c>continual-trainer bench train</c>: training-step throughput on random weights of a given shape — the work of
/// the PyTorch reference bench (ANCHORS.md): one optimizer step over B random sequences of T tokens whose last D
/// tokens are decision tokens, full fine-tuning or LoRA (rank 16 on all seven projections by default), in
/// context-frozen or full-backpropagation mode. tokens/s counts all B*T tokens of a step.
/// </summary>
public static class BenchTrainCommand
{
    private static readonly Option<string> Mode = new Option<string>("--mode")
    {
        Description = "frozen: context-frozen decision-token training; full: backpropagation through every position",
        DefaultValueFactory = _ => "frozen",
    }.AcceptOnlyFromAmong("frozen", "full");

    private static readonly Option<string> Method = new Option<string>("--method")
    {
        Description = "full: every weight trained; lora: adapters on q,k,v,o,gate,up,down, base weights frozen",
        DefaultValueFactory = _ => "lora",
    }.AcceptOnlyFromAmong("full", "lora");

    private static readonly Option<string> OptimizerKind = new Option<string>("--optimizer")
    {
        Description = "adamw, apollo (rank 256) or apollo-mini",
        DefaultValueFactory = _ => "adamw",
    }.AcceptOnlyFromAmong("adamw", "apollo", "apollo-mini");

    private static readonly Option<int> Batch = new("--batch") { Description = "Sequences per step (B)", DefaultValueFactory = _ => 4 };
    private static readonly Option<int> Sequence = new("--seq") { Description = "Tokens per sequence (T)", DefaultValueFactory = _ => 256 };
    private static readonly Option<int> Decision = new("--decision") { Description = "Decision tokens at the end of each sequence (D)", DefaultValueFactory = _ => 64 };
    private static readonly Option<int> Rank = new("--rank") { Description = "LoRA rank (alpha = 2 * rank)", DefaultValueFactory = _ => 16 };

    public static Command Create()
    {
        var command = new Command("train", "Training-step throughput (decision-token batches) on random weights of a model shape");
        foreach (var option in new Option[] { BenchOptions.ConfigFile, Mode, Method, OptimizerKind, Batch, Sequence, Decision, Rank, BenchOptions.Seconds, BenchOptions.Threads, BenchOptions.Profile, BenchOptions.Json })
            command.Options.Add(option);
        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var (bsz, t, d) = (parseResult.GetValue(Batch), parseResult.GetValue(Sequence), parseResult.GetValue(Decision));
            if (bsz < 1 || t < 2) throw new CliException($"--batch must be at least 1 and --seq at least 2 (got {bsz}, {t})", ExitCodes.Usage);
            if (d < 1 || d >= t) throw new CliException($"--decision must be in [1, {t - 1}] for --seq {t} (got {d})", ExitCodes.Usage);
            var rank = parseResult.GetValue(Rank);
            if (rank < 1) throw new CliException($"--rank must be at least 1 (got {rank})", ExitCodes.Usage);
            var config = BenchOptions.Prepare(parseResult, t);
            var mode = parseResult.GetValue(Mode) == "full" ? TrainingMode.Full : TrainingMode.Frozen;
            var lora = parseResult.GetValue(Method) == "lora";
            var optimizerKind = parseResult.GetValue(OptimizerKind)!;

            using var model = TransformerModel.CreateRandom(config, seed: 0);
            using var adapters = lora ? new LoraAdapters(config, new LoraConfig(rank, 2.0 * rank, LoraTargets.All)) : null;
            adapters?.InitializeRandom();
            using var session = new TrainingSession(model, new TrainingOptions(mode), p => CreateOptimizer(optimizerKind, p), adapters);
            output.WriteLine($"model: {config.Architecture}, {model.Parameters.Count / 1e6:F1}M parameters (random), vocab {config.VocabSize}");
            output.WriteLine($"training: {(lora ? $"LoRA rank {rank} on q,k,v,o,gate,up,down" : "full fine-tune")}, {mode.ToString().ToLowerInvariant()} mode, " +
                $"{session.Optimizer.Kind}; {session.Parameters.Sum(p => p.Length) / 1e6:F2}M trainable");
            output.WriteLine($"blas: {Gemm.Provider}; threads {Parallelism.Threads}");

            var result = Measure(session, bsz, t, d, parseResult.GetValue(BenchOptions.Seconds), parseResult.GetValue(BenchOptions.Profile) ? output : null);
            var peakMb = PeakMemory.Megabytes();
            var stateMb = session.Optimizer.StateBytes / (1024.0 * 1024.0);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"step (B={bsz}, T={t}, D={d}): {result.SecondsPerStep:F3} s/step, {1 / result.SecondsPerStep:F3} steps/s, {result.TokensPerSecond:F1} tokens/s over {result.Steps} steps ({result.CpuSecondsPerStep:F3} CPU s/step)"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"memory: peak working set {peakMb:F0} MB; optimizer state {stateMb:F1} MB ({session.Optimizer.StateBytes} bytes); arenas {session.ArenaBytes / (1024.0 * 1024.0):F0} MB; loss {result.LastLoss:F4}"));
            if (parseResult.GetValue(BenchOptions.Json))
            {
                output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["mode"] = mode.ToString().ToLowerInvariant(),
                    ["method"] = lora ? "lora" : "full",
                    ["optimizer"] = session.Optimizer.Kind,
                    ["B"] = bsz,
                    ["T"] = t,
                    ["D"] = d,
                    ["steps"] = result.Steps,
                    ["s_per_step"] = Math.Round(result.SecondsPerStep, 3),
                    ["steps_per_s"] = Math.Round(1 / result.SecondsPerStep, 4),
                    ["tokens_per_s"] = Math.Round(result.TokensPerSecond, 1),
                    ["cpu_s_per_step"] = Math.Round(result.CpuSecondsPerStep, 3),
                    ["peak_working_set_mb"] = Math.Round(peakMb, 1),
                    ["optimizer_state_bytes"] = session.Optimizer.StateBytes,
                    ["arena_bytes"] = session.ArenaBytes,
                }));
            }
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Wall and CPU (all threads) seconds per step: on a shared machine the CPU time is the steadier figure.</summary>
    private sealed record Throughput(int Steps, double SecondsPerStep, double TokensPerSecond, double CpuSecondsPerStep, double LastLoss);

    private static IOptimizer CreateOptimizer(string kind, IReadOnlyList<OptimizerParameter> parameters) => kind switch
    {
        "apollo" => new Apollo(parameters, ApolloOptions.Default),
        "apollo-mini" => new Apollo(parameters, ApolloOptions.Mini),
        _ => new AdamW(parameters),
    };

    private static Throughput Measure(TrainingSession session, int bsz, int t, int d, double seconds, TextWriter? profileOutput)
    {
        // The reference bench's work: random ids, the last D tokens of every row are decisions.
        var vocab = session.Model.Config.VocabSize;
        var random = new Random(1);
        var examples = Enumerable.Range(0, bsz).Select(_ =>
        {
            var ids = Enumerable.Range(0, t).Select(_ => random.Next(vocab)).ToArray();
            return TrainingExample.WithDecisions(ids, [(t - d, d)]);
        }).ToArray();
        const double learningRate = 1e-5;

        session.Step(examples, learningRate); // warm-up: JIT, first touch of the arenas and optimizer state, BLAS threads
        var profiler = profileOutput is null ? null : new KernelProfiler();
        session.Profiler = profiler;
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var steps = 0;
        var loss = 0.0;
        while (clock.Elapsed.TotalSeconds < seconds || steps < 2)
        {
            loss = session.Step(examples, learningRate).Loss;
            steps++;
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        session.Profiler = null;
        if (profiler is not null) WriteProfile(profileOutput!, profiler, elapsed, steps);
        return new Throughput(steps, elapsed / steps, (double)bsz * t * steps / elapsed, cpu / steps, loss);
    }

    private static void WriteProfile(TextWriter output, KernelProfiler profiler, double elapsed, int steps)
    {
        var timings = profiler.Timings.OrderByDescending(k => k.Seconds).ToList();
        output.WriteLine("kernel             s/step   share");
        foreach (var k in timings)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{k.Name,-18} {k.Seconds / steps,7:F3} {100 * k.Seconds / elapsed,6:F1}%"));
        var rest = elapsed - timings.Sum(k => k.Seconds);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"(rest)",-18} {rest / steps,7:F3} {100 * rest / elapsed,6:F1}%"));
    }
}
