namespace ContinualTrainer.Checkpoints;

/// <summary>
/// What a prune decided and did: every stored version with its reasons to stay, the versions deleted locally,
/// and those whose copy on the storage host is still to be deleted (the host was unreachable).
/// </summary>
public sealed record PruneResult(IReadOnlyList<RetentionDecision> Decisions, IReadOnlyList<int> Deleted, IReadOnlyList<int> RemoteDeletePending, bool DryRun);
