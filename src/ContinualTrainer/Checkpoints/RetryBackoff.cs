namespace ContinualTrainer.Checkpoints;

/// <summary>
/// Exponential backoff with jitter for uploads: after the n-th consecutive failure the delay is
/// <c>min(max, min · 2^(n-1))</c>, scaled by a random factor in [0.5, 1] ("equal jitter"), so many daemons
/// sharing a storage host do not retry in lockstep, and never less than half the nominal delay.
/// </summary>
public sealed record RetryBackoff(TimeSpan Min, TimeSpan Max)
{
    /// <param name="failures">Consecutive failed attempts so far (1 after the first failure).</param>
    /// <param name="unitRandom">A value in [0, 1) (e.g. <see cref="Random.NextDouble"/>).</param>
    public TimeSpan Delay(int failures, double unitRandom)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failures, 1);
        if (unitRandom is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(unitRandom), "must be in [0, 1)");
        var exponent = Math.Min(failures - 1, 62);
        var nominal = Math.Min(Max.TotalSeconds, Min.TotalSeconds * Math.Pow(2, exponent));
        return TimeSpan.FromSeconds(nominal * (0.5 + 0.5 * unitRandom));
    }
}
