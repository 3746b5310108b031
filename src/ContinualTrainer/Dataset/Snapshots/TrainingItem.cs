namespace ContinualTrainer.Dataset.Snapshots;

/// <summary>
/// One sequence for the training loop: the tokens, and the span of positions whose tokens are trained on
/// (each predicted from the tokens before it). A decision example trains its decision
/// (<c>LossStart</c> = the decision start); a replay window trains every token after its first.
/// </summary>
/// <param name="ExampleId">The decision example, or null for a replay window.</param>
/// <param name="Tokens">Context and decision, or the window.</param>
/// <param name="LossStart">First trained position (at least 1).</param>
/// <param name="LossLength">Number of trained positions, ending at or before the end of <paramref name="Tokens"/>.</param>
public sealed record TrainingItem(SnapshotItemKind Kind, long? ExampleId, int[] Tokens, int LossStart, int LossLength);
