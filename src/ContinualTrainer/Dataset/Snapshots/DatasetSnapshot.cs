namespace ContinualTrainer.Dataset.Snapshots;

/// <summary>
/// A frozen training set as recorded in the state database: which examples are trained, rehearsed and held
/// out, which general windows are replayed, in which order, and with what seed and settings. Never changes
/// once written, except that a training run may mark it accepted.
/// </summary>
/// <param name="Fingerprint">The tokenizer fingerprint its examples belong to (<see cref="TokenizerProfile.Fingerprint"/>).</param>
/// <param name="GeneralCorpus">The general corpus path its replay windows come from, or null when it has none.</param>
/// <param name="GeneralCorpusSha256">That corpus's <see cref="General.GeneralCorpus.ContentHash"/> at build time.</param>
/// <param name="Items">Every item in position order.</param>
public sealed record DatasetSnapshot(
    long Id,
    long FingerprintId,
    string Fingerprint,
    long Seed,
    DateTimeOffset CreatedUtc,
    DateTimeOffset? AcceptedUtc,
    SnapshotSettings Settings,
    string? GeneralCorpus,
    string? GeneralCorpusSha256,
    SnapshotSummary Summary,
    IReadOnlyList<SnapshotItem> Items);
