using System.Text.Json.Serialization;

namespace ContinualTrainer.Training;

/// <summary>What <c>train --now --json</c> prints: one run's outcome and its before/after numbers.</summary>
public sealed record RunSummary
{
    [JsonPropertyName("run_id")] public long RunId { get; init; }
    [JsonPropertyName("result")] public required string Result { get; init; }
    [JsonPropertyName("version_before")] public int? VersionBefore { get; init; }
    [JsonPropertyName("version_after")] public int? VersionAfter { get; init; }
    [JsonPropertyName("general_ppl_before")] public double? GeneralPerplexityBefore { get; init; }
    [JsonPropertyName("general_ppl_after")] public double? GeneralPerplexityAfter { get; init; }
    [JsonPropertyName("decision_loss_before")] public double? DecisionLossBefore { get; init; }
    [JsonPropertyName("decision_loss_after")] public double? DecisionLossAfter { get; init; }
    [JsonPropertyName("probe_accuracy_before")] public double? ProbeAccuracyBefore { get; init; }
    [JsonPropertyName("probe_accuracy_after")] public double? ProbeAccuracyAfter { get; init; }
    [JsonPropertyName("train_tokens")] public long TrainTokens { get; init; }
    [JsonPropertyName("memory_estimate_mb")] public long? MemoryEstimateMb { get; init; }
    [JsonPropertyName("memory_peak_mb")] public long? MemoryPeakMb { get; init; }
    [JsonPropertyName("seconds")] public double Seconds { get; init; }
    [JsonPropertyName("detail")] public string Detail { get; init; } = "";
}
