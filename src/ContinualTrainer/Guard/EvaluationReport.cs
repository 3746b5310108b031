namespace ContinualTrainer.Guard;

/// <summary>
/// What one evaluation measured on fixed data — identical before and after a run, so the two compare.
/// </summary>
/// <param name="GeneralPerplexity">Perplexity on the held-out general corpus: the forgetting signal.</param>
/// <param name="DecisionLoss">Mean decision-token loss on the snapshot's validation split: the learning signal.</param>
/// <param name="PastLoss">Mean decision-token loss on the validation splits of earlier accepted snapshots (null: none yet).</param>
/// <param name="ProbeAccuracy">Probe accuracy per category, 0..1 (empty when no probes are configured).</param>
public sealed record EvaluationReport(
    double GeneralPerplexity,
    double DecisionLoss,
    double? PastLoss,
    IReadOnlyDictionary<string, double> ProbeAccuracy)
{
    /// <summary>Mean accuracy over all categories (null without probes).</summary>
    public double? MeanProbeAccuracy => ProbeAccuracy.Count == 0 ? null : ProbeAccuracy.Values.Average();
}
