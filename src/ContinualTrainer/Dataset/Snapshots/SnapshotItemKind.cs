namespace ContinualTrainer.Dataset.Snapshots;

/// <summary>What one item of a training-set snapshot is; stored as <c>train</c>, <c>rehearsal</c>, <c>replay</c>, <c>validation</c>.</summary>
public enum SnapshotItemKind
{
    /// <summary>A new decision example, trained on.</summary>
    Train,

    /// <summary>A decision example trained in an earlier accepted snapshot, rehearsed.</summary>
    Rehearsal,

    /// <summary>A window of the general corpus's training part, trained on as plain language modelling.</summary>
    Replay,

    /// <summary>A new decision example held out for validation, never trained on.</summary>
    Validation,
}
