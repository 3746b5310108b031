namespace ContinualTrainer.Checkpoints;

/// <summary>The outcome of a publication: the new version, and — when the post-publish check failed and <c>current</c> went back — why.</summary>
public sealed record PublishResult(int Version, int Current, string? RolledBackBecause)
{
    public bool Accepted => RolledBackBecause is null;
}
