namespace ContinualTrainer.Dataset.Snapshots;

/// <summary>The database spelling of <see cref="SnapshotItemKind"/>.</summary>
public static class SnapshotItemKindNames
{
    public static string ToName(this SnapshotItemKind kind) => kind switch
    {
        SnapshotItemKind.Train => "train",
        SnapshotItemKind.Rehearsal => "rehearsal",
        SnapshotItemKind.Replay => "replay",
        SnapshotItemKind.Validation => "validation",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown snapshot item kind"),
    };

    public static SnapshotItemKind Parse(string name) => name switch
    {
        "train" => SnapshotItemKind.Train,
        "rehearsal" => SnapshotItemKind.Rehearsal,
        "replay" => SnapshotItemKind.Replay,
        "validation" => SnapshotItemKind.Validation,
        _ => throw new FormatException($"unknown snapshot item kind '{name}'"),
    };
}
