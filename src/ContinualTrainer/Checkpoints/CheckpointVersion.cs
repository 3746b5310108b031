namespace ContinualTrainer.Checkpoints;

/// <summary>A version as the state database records it (what <c>checkpoints list</c> and <c>show</c> print).</summary>
public sealed record CheckpointVersion
{
    public required int Number { get; init; }
    public string Name => VersionName.Format(Number);
    public int? Parent { get; init; }
    public required CheckpointKind Kind { get; init; }
    /// <summary>The version's own files make a whole model (false for a LoRA adapter without merged weights: it needs its parent).</summary>
    public bool SelfContained { get; init; }
    public string? RunId { get; init; }
    public required DateTimeOffset CreatedUtc { get; init; }
    public int FileCount { get; init; }
    public long Bytes { get; init; }
    public required string ManifestSha256 { get; init; }
    public double? GeneralPerplexity { get; init; }
    /// <summary>Why the post-publish check (or an interrupted publication) disqualified it; null when it never was.</summary>
    public string? Rejected { get; init; }
    public DateTimeOffset? PrunedUtc { get; init; }
    /// <summary>Pruned locally, the copy on the storage host still to be deleted.</summary>
    public bool RemoteDeletePending { get; init; }
    /// <summary>Null when no storage host is configured (or the version was never queued for it).</summary>
    public UploadStatus? Upload { get; init; }
}
