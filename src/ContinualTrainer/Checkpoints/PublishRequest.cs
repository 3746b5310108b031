namespace ContinualTrainer.Checkpoints;

/// <summary>
/// What the training loop hands to <see cref="CheckpointRepository.PublishAsync"/> for an accepted run: the
/// version's files, already written in <see cref="StagingDirectory"/> (full weights in Hugging Face layout, or a
/// PEFT adapter with optional <c>merged/</c> weights), and the facts its manifest records. The repository copies
/// the files; the staging directory stays the caller's.
/// </summary>
public sealed record PublishRequest
{
    public required string StagingDirectory { get; init; }
    public required CheckpointKind Kind { get; init; }
    /// <summary>The version the run trained from; null: the current version.</summary>
    public int? Parent { get; init; }
    public required string RunId { get; init; }
    public required string DatasetSnapshotId { get; init; }
    public required string ConfigHash { get; init; }
    public required CheckpointEvaluation EvaluationBefore { get; init; }
    /// <summary>The evaluation of the new weights; the post-publish check must reproduce its general perplexity.</summary>
    public required CheckpointEvaluation EvaluationAfter { get; init; }
    public required string GuardDecision { get; init; }
}
