namespace ContinualTrainer.Checkpoints;

/// <summary>Retention's verdict on one version: the reasons it is kept, none when it may be pruned.</summary>
public sealed record RetentionDecision(int Version, IReadOnlyList<string> KeptBecause)
{
    public bool Keep => KeptBecause.Count > 0;
}
