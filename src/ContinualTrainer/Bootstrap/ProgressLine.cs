using System.Diagnostics;
using System.Globalization;

namespace ContinualTrainer.Bootstrap;

/// <summary>
/// The pre-training progress on stderr: one line at most every <see cref="Interval"/> (and on demand) with the step,
/// the mean loss since the last line, tokens per second, elapsed time and the estimated time left.
/// </summary>
public sealed class ProgressLine(TextWriter log)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly Stopwatch sinceLast = Stopwatch.StartNew();
    private double lossSum;
    private int lossCount;

    /// <summary>Adds one step's loss; writes a line when <see cref="Interval"/> has passed since the last one or <paramref name="force"/> is set.</summary>
    public void Step(int step, int totalSteps, double loss, double tokensPerSecond, TimeSpan elapsed, bool force = false)
    {
        lossSum += loss;
        lossCount++;
        if (!force && sinceLast.Elapsed < Interval) return;
        var remaining = step >= totalSteps ? TimeSpan.Zero : elapsed / step * (totalSteps - step);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"pre-training: step {step}/{totalSteps}, loss {lossSum / lossCount:F3}, {tokensPerSecond:F0} tokens/s, {Clock(elapsed)} elapsed, ETA {Clock(remaining)}"));
        log.Flush();
        lossSum = 0;
        lossCount = 0;
        sinceLast.Restart();
    }

    /// <summary>m:ss.</summary>
    public static string Clock(TimeSpan time) =>
        string.Create(CultureInfo.InvariantCulture, $"{(int)time.TotalMinutes}:{time.Seconds:00}");
}
