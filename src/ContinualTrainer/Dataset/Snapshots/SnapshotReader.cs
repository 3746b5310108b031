using ContinualTrainer.Dataset.General;
using ContinualTrainer.State;

namespace ContinualTrainer.Dataset.Snapshots;

/// <summary>
/// What the training loop reads from a snapshot: its training items in order (new and rehearsed decision
/// examples, general replay windows) and its validation items, as token sequences with their trained span,
/// and the general corpus's held-out tokens for perplexity. Checks that the tokenizer and the general corpus
/// are the ones the snapshot was built with.
/// </summary>
public sealed class SnapshotReader
{
    private readonly DatasetSnapshot snapshot;
    private readonly IReadOnlyDictionary<long, StoredExample> examples;
    private readonly int[]? replayStream;

    private SnapshotReader(DatasetSnapshot snapshot, IReadOnlyDictionary<long, StoredExample> examples, int[]? replayStream, GeneralCorpus? corpus, TokenizerProfile profile)
    {
        this.snapshot = snapshot;
        this.examples = examples;
        this.replayStream = replayStream;
        Corpus = corpus;
        Profile = profile;
    }

    public DatasetSnapshot Snapshot => snapshot;
    public GeneralCorpus? Corpus { get; }
    public TokenizerProfile Profile { get; }

    /// <summary>Opens snapshot <paramref name="snapshotId"/> for the model whose tokenizer is <paramref name="profile"/>.</summary>
    /// <param name="corpus">The general corpus (required when the snapshot replays windows).</param>
    /// <exception cref="DatasetException">No such snapshot, another tokenizer, or a general corpus that is missing or changed.</exception>
    public static async Task<SnapshotReader> OpenAsync(
        StateDatabase database, long snapshotId, TokenizerProfile profile, GeneralCorpus? corpus, CancellationToken cancellationToken)
    {
        var snapshot = await new SnapshotStore(database).ReadAsync(snapshotId, cancellationToken)
            ?? throw new DatasetException($"there is no dataset snapshot {snapshotId}");
        if (snapshot.Fingerprint != profile.Fingerprint)
        {
            throw new DatasetException(
                $"dataset snapshot {snapshotId} was built for tokenizer fingerprint {snapshot.Fingerprint[..12]}, "
                + $"not {profile.Fingerprint[..12]} ({profile.ModelDirectory})");
        }
        int[]? stream = null;
        if (snapshot.Items.Any(i => i.Kind == SnapshotItemKind.Replay))
        {
            if (corpus is null)
                throw new DatasetException($"dataset snapshot {snapshotId} replays windows of the general corpus {snapshot.GeneralCorpus}, which is not configured now");
            if (corpus.ContentHash != snapshot.GeneralCorpusSha256 || corpus.HoldoutFraction != snapshot.Settings.GeneralHoldoutFraction)
            {
                throw new DatasetException(
                    $"the general corpus {corpus.Path} changed since dataset snapshot {snapshotId} was built "
                    + $"(content {corpus.ContentHash[..12]}, hold-out {corpus.HoldoutFraction}; then {snapshot.GeneralCorpusSha256?[..12]}, {snapshot.Settings.GeneralHoldoutFraction})");
            }
            stream = corpus.TrainingTokens(profile.Tokenizer);
        }
        var ids = snapshot.Items.Where(i => i.ExampleId is not null).Select(i => i.ExampleId!.Value).ToList();
        var examples = await new ExampleStore(database).ReadAsync(ids, cancellationToken);
        foreach (var id in ids)
        {
            if (!examples.ContainsKey(id)) throw new DatasetException($"dataset snapshot {snapshotId}: example {id} is missing from the database");
        }
        return new SnapshotReader(snapshot, examples, stream, corpus, profile);
    }

    /// <summary>Training items (new, rehearsal, replay) in the snapshot's training order.</summary>
    public IEnumerable<TrainingItem> TrainingItems() =>
        snapshot.Items.Where(i => i.Kind != SnapshotItemKind.Validation).Select(Materialize);

    /// <summary>Validation items: new examples held out, never trained on.</summary>
    public IEnumerable<TrainingItem> ValidationItems() =>
        snapshot.Items.Where(i => i.Kind == SnapshotItemKind.Validation).Select(Materialize);

    /// <summary>The general corpus's held-out part as one token stream, for perplexity (see <see cref="GeneralCorpus"/>).</summary>
    public int[] GeneralHeldOutTokens() =>
        (Corpus ?? throw new DatasetException("no general corpus is configured (Dataset:GeneralCorpus)")).HeldOutTokens(Profile.Tokenizer);

    private TrainingItem Materialize(SnapshotItem item)
    {
        if (item.Kind == SnapshotItemKind.Replay)
        {
            var offset = (int)item.WindowOffset!.Value;
            var length = item.WindowTokens!.Value;
            if (replayStream is null || offset + length > replayStream.Length)
                throw new DatasetException($"dataset snapshot {snapshot.Id}: replay window at token {offset} is outside the general corpus's training part");
            return new TrainingItem(item.Kind, null, replayStream[offset..(offset + length)], 1, length - 1);
        }
        var example = examples[item.ExampleId!.Value];
        return new TrainingItem(item.Kind, example.Id, example.Tokens, example.DecisionStart, example.DecisionLength);
    }
}
