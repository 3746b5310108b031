namespace ContinualTrainer.Dataset.Snapshots;

/// <summary>
/// One item of a snapshot: a decision example (<see cref="ExampleId"/>) or a general replay window
/// (<see cref="WindowOffset"/> and <see cref="WindowTokens"/> into the general corpus's training token stream).
/// </summary>
/// <param name="Position">Training order (training items first, then validation items).</param>
public sealed record SnapshotItem(int Position, SnapshotItemKind Kind, long? ExampleId, long? WindowOffset, int? WindowTokens);
