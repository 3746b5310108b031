namespace ContinualTrainer.Dataset.Snapshots;

/// <summary>
/// The counts of a snapshot, computed when it is built and stored with it. Token counts are trained
/// (loss-bearing) tokens: decision tokens of examples, every token but the first of a replay window.
/// </summary>
/// <param name="NewExamples">Examples not yet in an accepted snapshot when the build started.</param>
/// <param name="NearDuplicatesRemoved">New examples dropped as near-duplicates of older ones.</param>
/// <param name="CappedBySession">New examples dropped by <c>Dataset:MaxPerSession</c>.</param>
/// <param name="CappedBySourceFile">New examples dropped by <c>Dataset:MaxPerSourceFile</c>.</param>
/// <param name="RehearsalCandidates">Examples trained in earlier accepted snapshots (what rehearsal draws from).</param>
/// <param name="ReplaySlots">Whole replay windows the general corpus's training part holds (0 without a corpus).</param>
/// <param name="Notes">Why a share fell short of its target, in words.</param>
public sealed record SnapshotSummary(
    int NewExamples,
    int NearDuplicatesRemoved,
    int CappedBySession,
    int CappedBySourceFile,
    int Train,
    int Validation,
    int Rehearsal,
    int ReplayWindows,
    long TrainTokens,
    long ValidationTokens,
    long RehearsalTokens,
    long ReplayTokens,
    double ReplayFraction,
    double RehearsalFraction,
    int RehearsalCandidates,
    long ReplaySlots,
    IReadOnlyList<string> Notes);
