using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ContinualTrainer.Engine.Blas;
using ContinualTrainer.Engine.Kernels;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Metrics;

namespace ContinualTrainer.Cli.Bench;

/// <summary>
/// <c>continual-trainer bench eval</c>: forward-only throughput (the perplexity workload) on random weights
/// of a given shape — the same work as the PyTorch reference bench: logits at every position of a (B, T)
/// batch of random tokens, then the next-token cross-entropy over them.
/// </summary>
public static class BenchEvalCommand
{
    private static readonly Option<int> Batch = new("--batch") { Description = "Sequences per batch (B)", DefaultValueFactory = _ => 4 };
    private static readonly Option<int> Sequence = new("--seq") { Description = "Tokens per sequence (T)", DefaultValueFactory = _ => 256 };

    public static Command Create()
    {
        var command = new Command("eval", "Forward-pass throughput (perplexity work) on random weights of a model shape");
        foreach (var option in new Option[] { BenchOptions.ConfigFile, Batch, Sequence, BenchOptions.Seconds, BenchOptions.Threads, BenchOptions.Profile, BenchOptions.Json }) command.Options.Add(option);
        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var (bsz, t, seconds) = (parseResult.GetValue(Batch), parseResult.GetValue(Sequence), parseResult.GetValue(BenchOptions.Seconds));
            if (bsz < 1 || t < 2) throw new CliException($"--batch must be at least 1 and --seq at least 2 (got {bsz}, {t})", ExitCodes.Usage);
            var config = BenchOptions.Prepare(parseResult, t);

            using var model = TransformerModel.CreateRandom(config, seed: 0);
            output.WriteLine($"model: {config.Architecture}, {model.Parameters.Count / 1e6:F1}M parameters (random), vocab {config.VocabSize}");
            output.WriteLine($"blas: {Gemm.Provider}; threads {Parallelism.Threads}");
            var result = Measure(model, bsz, t, seconds, parseResult.GetValue(BenchOptions.Profile) ? output : null);
            var peakMb = PeakMemory.Megabytes();
            output.WriteLine($"batch ({bsz}, {t}): {result.SecondsPerBatch:F3} s/batch, {result.TokensPerSecond:F1} tokens/s over {result.Batches} batches ({result.CpuSecondsPerBatch:F3} CPU s/batch); peak working set {peakMb:F0} MB");
            if (parseResult.GetValue(BenchOptions.Json))
            {
                output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, double>
                {
                    ["tokens_per_s"] = Math.Round(result.TokensPerSecond, 1),
                    ["s_per_batch"] = Math.Round(result.SecondsPerBatch, 3),
                    ["peak_working_set_mb"] = Math.Round(peakMb, 1),
                    ["cpu_s_per_batch"] = Math.Round(result.CpuSecondsPerBatch, 3),
                }));
            }
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Wall and CPU (all threads) seconds per batch: on a shared machine the CPU time is the steadier figure.</summary>
    private sealed record Throughput(int Batches, double SecondsPerBatch, double TokensPerSecond, double CpuSecondsPerBatch);

    private static unsafe Throughput Measure(TransformerModel model, int bsz, int t, double seconds, TextWriter? profileOutput)
    {
        var vocab = model.Config.VocabSize;
        var random = new Random(1);
        var batch = new TokenBatch(bsz, t);
        var ids = new int[t];
        for (var b = 0; b < bsz; b++)
        {
            for (var i = 0; i < t; i++) ids[i] = random.Next(vocab);
            batch.SetRow(b, ids);
        }
        var allRows = Enumerable.Range(0, bsz * t).ToArray();
        // The loss of every position that has a next token (all but the last of each row).
        var lossRows = Enumerable.Range(0, bsz * t).Where(i => i % t < t - 1).ToArray();
        var targets = lossRows.Select(i => batch.Tokens[i + 1]).ToArray();
        var losses = new float[bsz * t];
        var lse = new float[bsz * t];
        using var acts = model.CreateActivations(bsz, t);

        void Step()
        {
            model.Forward(acts, batch, allRows);
            fixed (float* pl = losses, pe = lse)
            {
                for (var b = 0; b < bsz; b++)
                {
                    CrossEntropy.Forward(pl + b * (t - 1), pe + b * (t - 1), acts.Logits + (long)b * t * vocab,
                        targets.AsSpan(b * (t - 1), t - 1), t - 1, vocab);
                }
            }
        }

        Step(); // warm-up: JIT, first touch of the arena, BLAS thread start
        var profiler = profileOutput is null ? null : new KernelProfiler();
        model.Profiler = profiler;
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var batches = 0;
        while (clock.Elapsed.TotalSeconds < seconds || batches < 2)
        {
            Step();
            batches++;
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        model.Profiler = null;
        if (profiler is not null) WriteProfile(profileOutput!, profiler, elapsed);
        return new Throughput(batches, elapsed / batches, bsz * t * batches / elapsed, cpu / batches);
    }

    private static void WriteProfile(TextWriter output, KernelProfiler profiler, double elapsed)
    {
        var timings = profiler.Timings.OrderByDescending(k => k.Seconds).ToList();
        output.WriteLine("kernel            seconds   share");
        foreach (var k in timings)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{k.Name,-16} {k.Seconds,8:F3} {100 * k.Seconds / elapsed,6:F1}%"));
        var rest = elapsed - timings.Sum(k => k.Seconds);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"cross_entropy",-16} {rest,8:F3} {100 * rest / elapsed,6:F1}%  (rest of the step)"));
    }
}
