using System.Diagnostics;

namespace ContinualTrainer.Engine.Kernels;

/// <summary>
/// Accumulates wall time per named kernel call site (e.g. "attention", "lm_head", "attention_bw") when attached
/// to a model or a training session; used by <c>bench eval --profile</c> and <c>bench train --profile</c> to find
/// where a forward pass or a training step spends its time.
/// </summary>
public sealed class KernelProfiler
{
    private readonly Dictionary<string, (long Ticks, long Calls)> totals = new();
    private readonly List<string> order = [];

    /// <summary>A timestamp to pass to <see cref="Stop"/>.</summary>
    public long Start() => Stopwatch.GetTimestamp();

    /// <summary>Adds the time since <paramref name="started"/> to <paramref name="name"/>.</summary>
    public void Stop(string name, long started)
    {
        var elapsed = Stopwatch.GetTimestamp() - started;
        if (!totals.TryGetValue(name, out var total)) order.Add(name);
        totals[name] = (total.Ticks + elapsed, total.Calls + 1);
    }

    /// <summary>The accumulated timings in first-seen order.</summary>
    public IReadOnlyList<KernelTiming> Timings =>
        order.Select(n => new KernelTiming(n, (double)totals[n].Ticks / Stopwatch.Frequency, totals[n].Calls)).ToList();
}
