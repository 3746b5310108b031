namespace ContinualTrainer.Demo;

/// <summary>Everything the forgetting demonstration measured (written as <c>results.json</c>).</summary>
/// <param name="Model">The model directory both runs started from.</param>
/// <param name="Corpus">The general corpus.</param>
/// <param name="MaxPerplexityIncrease">The guard's limit on the rise of general perplexity (0.03 = 3%).</param>
/// <param name="Runs">The naive run, then the defaults run.</param>
/// <param name="Seconds">Wall time of the whole demonstration.</param>
public sealed record ForgettingDemoResult(
    string Model,
    string Corpus,
    int Seed,
    DemoDatasetSummary Dataset,
    double MaxPerplexityIncrease,
    IReadOnlyList<DemoRunResult> Runs,
    double Seconds);
