namespace ContinualTrainer.Demo;

/// <summary>
/// What <see cref="ForgettingDemo"/> runs on and the demonstration's own settings (the naive run's learning rate
/// and epochs, the task's size, how densely the curves are measured). The defaults run is never configured here:
/// it is the daemon's defaults.
/// </summary>
public sealed record ForgettingDemoOptions
{
    /// <summary>Hugging Face model directory both runs start from.</summary>
    public required string ModelDirectory { get; init; }

    /// <summary>General corpus (file or folder, as <c>Dataset:GeneralCorpus</c>): held-out part for perplexity, training part for replay.</summary>
    public required string CorpusPath { get; init; }

    /// <summary>Seeds the synthetic task, its validation split, the item order, the replay windows and the adapters.</summary>
    public int Seed { get; init; }

    /// <summary>Synthetic conversations (1 to 3 requests each).</summary>
    public int Conversations { get; init; } = 300;

    public double NaiveLearningRate { get; init; } = 1e-3;

    public int NaiveEpochs { get; init; } = 2;

    /// <summary>Curve points per run after step 0.</summary>
    public int CurvePoints { get; init; } = 10;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the setting that is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Seed);
        ArgumentOutOfRangeException.ThrowIfLessThan(Conversations, 10);
        if (!(NaiveLearningRate > 0 && double.IsFinite(NaiveLearningRate)))
            throw new ArgumentOutOfRangeException(nameof(NaiveLearningRate), NaiveLearningRate, "must be finite and > 0");
        ArgumentOutOfRangeException.ThrowIfLessThan(NaiveEpochs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(CurvePoints, 1);
    }
}
