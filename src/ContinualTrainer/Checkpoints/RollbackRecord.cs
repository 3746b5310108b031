namespace ContinualTrainer.Checkpoints;

/// <summary>One recorded rollback: when, from which version to which, the reason (see <see cref="RollbackReason"/>), who and why.</summary>
public sealed record RollbackRecord(DateTimeOffset AtUtc, int? From, int To, string Reason, string Who, string Why);
