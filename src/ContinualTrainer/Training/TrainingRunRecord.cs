namespace ContinualTrainer.Training;

/// <summary>One row of <c>training_runs</c>: what a run did, with its numbers (JSON columns kept as text).</summary>
public sealed record TrainingRunRecord
{
    public required long Id { get; init; }
    public required RunTrigger Trigger { get; init; }
    public required string RequestedBy { get; init; }
    public required RunResult Result { get; init; }
    public required string Phase { get; init; }
    public required DateTimeOffset StartedUtc { get; init; }
    public DateTimeOffset? FinishedUtc { get; init; }
    public double? Seconds { get; init; }
    public long? SnapshotId { get; init; }
    public int? VersionBefore { get; init; }
    public int? VersionAfter { get; init; }
    public required string Settings { get; init; }
    public required string Adaptation { get; init; }
    public string? EvaluationBefore { get; init; }
    public string? EvaluationAfter { get; init; }
    public string? Verdict { get; init; }
    public long Step { get; init; }
    public long TotalSteps { get; init; }
    public long TrainTokens { get; init; }
    public double? LastLoss { get; init; }
    public double? TokensPerSecond { get; init; }
    public string Detail { get; init; } = "";
}
