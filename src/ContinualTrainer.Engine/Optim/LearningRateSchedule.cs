namespace ContinualTrainer.Engine.Optim;

/// <summary>
/// Linear warmup then cosine decay to a floor. For the optimizer step t (1 for the first):
/// t ≤ W gives peak·t/W; W &lt; t &lt; T gives floor + (peak - floor)·(1 + cos(π·(t - W)/(T - W)))/2;
/// t ≥ T gives the floor.
/// </summary>
public sealed record LearningRateSchedule
{
    public LearningRateSchedule(double peakLearningRate, int warmupSteps, int totalSteps, double minLearningRate)
    {
        if (!(peakLearningRate > 0 && double.IsFinite(peakLearningRate)))
            throw new ArgumentOutOfRangeException(nameof(peakLearningRate), peakLearningRate, "the peak learning rate must be finite and > 0");
        if (!(minLearningRate >= 0 && minLearningRate <= peakLearningRate))
            throw new ArgumentOutOfRangeException(nameof(minLearningRate), minLearningRate, "the floor must be in [0, peak learning rate]");
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        if (totalSteps <= warmupSteps)
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"the total steps must exceed the {warmupSteps} warmup steps");
        PeakLearningRate = peakLearningRate;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
        MinLearningRate = minLearningRate;
    }

    public double PeakLearningRate { get; }

    public int WarmupSteps { get; }

    /// <summary>The step at which the decay reaches the floor.</summary>
    public int TotalSteps { get; }

    public double MinLearningRate { get; }

    /// <summary>The learning rate of step <paramref name="step"/> (1-based).</summary>
    public double At(long step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        if (step <= WarmupSteps) return PeakLearningRate * step / WarmupSteps;
        if (step >= TotalSteps) return MinLearningRate;
        var progress = (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps);
        return MinLearningRate + (PeakLearningRate - MinLearningRate) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
