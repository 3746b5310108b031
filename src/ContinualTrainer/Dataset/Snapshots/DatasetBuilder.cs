using System.Globalization;
using System.Text.Json;
using ContinualTrainer.Configuration;
using ContinualTrainer.Dataset.Diversity;
using ContinualTrainer.Dataset.General;
using ContinualTrainer.State;
using Microsoft.Data.Sqlite;

namespace ContinualTrainer.Dataset.Snapshots;

/// <summary>
/// Freezes the next training set as an immutable, numbered snapshot in the state database. The same seed
/// and the same database contents give the same snapshot: every choice is a sort by
/// <see cref="StableHash.Key"/> of the seed and an id, never by time or chance.
/// </summary>
/// <remarks>
/// <para>New examples are the live examples of the tokenizer fingerprint that no accepted snapshot holds
/// (unaccepted snapshots do not count: their examples stay new). In order:</para>
/// <list type="number">
/// <item>Near-duplicates: in id order (oldest first), a new example is dropped when its decision text equals, or
/// its MinHash estimate reaches <c>Dataset:NearDuplicateThreshold</c> with, an older example that was kept,
/// trained or held out before.</item>
/// <item>Caps: per agent session (<c>Dataset:MaxPerSession</c>), then per source file
/// (<c>Dataset:MaxPerSourceFile</c>); a group over its cap keeps the examples with the smallest seeded keys.</item>
/// <item>Validation: whole conversations, so a conversation's turns never straddle training and validation.
/// A conversation that already has held-out examples stays on the validation side, one that already has trained
/// examples on the training side; the others are taken in seeded order while they bring the validation set closer
/// to <c>Dataset:ValidationFraction</c> of the new examples.</item>
/// <item>Rehearsal: examples trained in earlier accepted snapshots, preferring those least similar to the new
/// training examples (highest MinHash estimate against them, 0 when none shares an LSH band at similarity 0.3;
/// ties in seeded order), until their decision tokens are <c>Dataset:RehearsalFraction</c> of the set's trained tokens.</item>
/// <item>Replay: whole, non-overlapping windows of <c>Dataset:ReplayWindowTokens</c> of the general corpus's
/// training stream, in seeded order, until they are <c>Dataset:ReplayFraction</c> of the set's trained tokens.</item>
/// </list>
/// <para>Trained tokens are the loss-bearing ones: an example's decision tokens, a window's tokens after its first.
/// Training items (new, rehearsed, replayed) are shuffled by seeded keys; validation items follow in id order.</para>
/// </remarks>
public sealed class DatasetBuilder(StateDatabase database, TokenizerProfile profile, GeneralCorpus? corpus)
{
    /// <summary>Below this estimated similarity an old example counts as unrelated to the new ones for rehearsal.</summary>
    public const double RehearsalSimilarityFloor = 0.3;

    /// <summary>Builds and stores the snapshot; returns its id.</summary>
    /// <param name="replayFraction">Overrides <c>Dataset:ReplayFraction</c> (a run raises it after a rejection).</param>
    /// <exception cref="DatasetException">No examples were derived for the tokenizer, or none is new.</exception>
    public async Task<long> BuildAsync(long seed, CancellationToken cancellationToken, double? replayFraction = null)
    {
        var options = replayFraction is { } replay ? profile.Options with { ReplayFraction = replay } : profile.Options;
        var stream = corpus?.TrainingTokens(profile.Tokenizer);
        return await database.InTransactionAsync(async (connection, transaction, ct) =>
        {
            var fingerprintId = await ExampleStore.FindFingerprintAsync(connection, transaction, profile.Fingerprint, ct)
                ?? throw new DatasetException($"no examples have been derived for the tokenizer of {profile.ModelDirectory} yet (fingerprint {profile.Fingerprint[..12]})");
            var candidates = await LoadCandidatesAsync(connection, transaction, fingerprintId, ct);
            var (items, summary) = Compose(candidates, options, seed, stream?.LongLength ?? 0, corpus is not null);
            var settings = SnapshotSettings.From(options);
            return await WriteAsync(connection, transaction, fingerprintId, seed, settings, summary, items, ct);
        }, cancellationToken);
    }

    private static (List<SnapshotItem> Items, SnapshotSummary Summary) Compose(
        List<ExampleCandidate> candidates, DatasetOptions options, long seed, long streamLength, bool hasCorpus)
    {
        var notes = new List<string>();
        var fresh = candidates.Where(c => c.IsNew).ToList();
        var distinct = RemoveNearDuplicates(candidates, fresh, options.NearDuplicateThreshold);
        var (perSession, cappedBySession) = Cap(distinct, e => e.SessionId, options.MaxPerSession, seed, "session-cap");
        var (capped, cappedByFile) = Cap(perSession, e => e.SourceFile, options.MaxPerSourceFile, seed, "source-file-cap");
        var (train, validation) = SplitValidation(candidates, capped, options.ValidationFraction, seed);
        if (train.Count == 0)
        {
            throw new DatasetException(
                $"nothing new to train on: {fresh.Count} new example(s), {fresh.Count - distinct.Count} near-duplicate(s), "
                + $"{cappedBySession + cappedByFile} over a cap, {validation.Count} held out for validation");
        }
        var trainTokens = train.Sum(e => (long)e.DecisionLength);

        var (replayShare, rehearsalShare) = (options.ReplayFraction, options.RehearsalFraction);
        var pool = candidates.Where(c => c.Trained).ToList();
        var rehearsalTarget = rehearsalShare / (1 - replayShare - rehearsalShare) * trainTokens;
        var rehearsal = ChooseRehearsal(pool, train, rehearsalTarget, seed);
        var rehearsalTokens = rehearsal.Sum(e => (long)e.DecisionLength);
        if (rehearsalShare > 0 && pool.Count == 0) notes.Add("rehearsal: none, no example was trained in an accepted snapshot yet");
        else if (rehearsalShare > 0 && rehearsalTokens < 0.9 * rehearsalTarget)
            notes.Add($"rehearsal: {rehearsalTokens} of the {rehearsalTarget:F0} target tokens ({pool.Count} example(s) trained in accepted snapshots)");

        var window = options.ReplayWindowTokens;
        var slots = streamLength / window;
        var wanted = (long)Math.Round(replayShare / (1 - replayShare) * (trainTokens + rehearsalTokens) / (window - 1), MidpointRounding.AwayFromZero);
        if (!hasCorpus && replayShare > 0) notes.Add("replay: none, Dataset:GeneralCorpus is not set");
        else if (wanted > slots) notes.Add($"replay: the general corpus holds only {slots} windows of {window} tokens, {wanted} were wanted");
        var replay = ChooseReplaySlots(slots, (int)Math.Min(wanted, slots), seed);
        var replayTokens = replay.Count * (long)(window - 1);

        var items = Order(train, rehearsal, replay, validation, window, seed);
        var total = (double)(trainTokens + rehearsalTokens + replayTokens);
        var summary = new SnapshotSummary(
            fresh.Count, fresh.Count - distinct.Count, cappedBySession, cappedByFile,
            train.Count, validation.Count, rehearsal.Count, replay.Count,
            trainTokens, validation.Sum(e => (long)e.DecisionLength), rehearsalTokens, replayTokens,
            Math.Round(replayTokens / total, 4), Math.Round(rehearsalTokens / total, 4),
            pool.Count, slots, notes);
        return (items, summary);
    }

    /// <summary>The new examples that are neither equal in text nor near-duplicates of an older one (oldest kept).</summary>
    private static List<ExampleCandidate> RemoveNearDuplicates(List<ExampleCandidate> candidates, List<ExampleCandidate> fresh, double threshold)
    {
        var index = new NearDuplicateIndex(threshold);
        var texts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var old in candidates.Where(c => !c.IsNew))
        {
            texts.Add(old.DecisionSha256);
            if (!old.HasNoWords) index.Add(old.Id, old.Signature);
        }
        var distinct = new List<ExampleCandidate>();
        foreach (var example in fresh)
        {
            var duplicate = !texts.Add(example.DecisionSha256) || (!example.HasNoWords && index.FindNearDuplicate(example.Signature) is not null);
            if (duplicate) continue;
            if (!example.HasNoWords) index.Add(example.Id, example.Signature);
            distinct.Add(example);
        }
        return distinct;
    }

    private static (List<ExampleCandidate> Kept, int Dropped) Cap(
        List<ExampleCandidate> examples, Func<ExampleCandidate, string?> group, int max, long seed, string purpose)
    {
        var dropped = new HashSet<long>();
        foreach (var members in examples.Where(e => group(e) is not null).GroupBy(e => group(e)!, StringComparer.Ordinal))
        {
            if (members.Count() <= max) continue;
            dropped.UnionWith(members.OrderBy(e => StableHash.Key(seed, purpose, e.Id)).Skip(max).Select(e => e.Id));
        }
        return (examples.Where(e => !dropped.Contains(e.Id)).ToList(), dropped.Count);
    }

    /// <summary>Splits by conversation; conversations already on one side stay there (see the remarks).</summary>
    private static (List<ExampleCandidate> Train, List<ExampleCandidate> Validation) SplitValidation(
        List<ExampleCandidate> candidates, List<ExampleCandidate> examples, double fraction, long seed)
    {
        var heldOut = candidates.Where(c => c.HeldOut).Select(c => c.ConversationId).ToHashSet();
        var trained = candidates.Where(c => c.Trained).Select(c => c.ConversationId).ToHashSet();
        var sizes = examples.GroupBy(e => e.ConversationId).ToDictionary(g => g.Key, g => g.Count());
        var validation = sizes.Keys.Where(heldOut.Contains).ToHashSet();
        var count = validation.Sum(c => sizes[c]);
        var target = (int)Math.Round(fraction * examples.Count, MidpointRounding.AwayFromZero);
        foreach (var conversation in sizes.Keys.Where(c => !heldOut.Contains(c) && !trained.Contains(c)).OrderBy(c => StableHash.Key(seed, "validation", c)))
        {
            if (count >= target) break;
            if (Math.Abs(count + sizes[conversation] - target) >= Math.Abs(count - target)) continue;
            validation.Add(conversation);
            count += sizes[conversation];
        }
        return (examples.Where(e => !validation.Contains(e.ConversationId)).ToList(), examples.Where(e => validation.Contains(e.ConversationId)).ToList());
    }

    /// <summary>Old examples least similar to the new training examples first (seeded order among equals), until the target tokens.</summary>
    private static List<ExampleCandidate> ChooseRehearsal(List<ExampleCandidate> pool, List<ExampleCandidate> train, double targetTokens, long seed)
    {
        var similarity = new NearDuplicateIndex(RehearsalSimilarityFloor);
        foreach (var example in train.Where(e => !e.HasNoWords)) similarity.Add(example.Id, example.Signature);
        var chosen = new List<ExampleCandidate>();
        long tokens = 0;
        foreach (var (example, _) in pool
                     .Select(c => (Example: c, Similarity: c.HasNoWords ? 0 : similarity.MaxSimilarity(c.Signature)))
                     .OrderBy(p => p.Similarity).ThenBy(p => StableHash.Key(seed, "rehearsal", p.Example.Id)))
        {
            if (tokens >= targetTokens) break;
            if (Math.Abs(tokens + example.DecisionLength - targetTokens) >= Math.Abs(tokens - targetTokens)) continue;
            chosen.Add(example);
            tokens += example.DecisionLength;
        }
        return chosen;
    }

    private static List<long> ChooseReplaySlots(long slots, int count, long seed) =>
        count == 0 ? [] : [.. LongRange(slots).OrderBy(s => StableHash.Key(seed, "replay", s)).Take(count)];

    /// <summary>Training items shuffled by seeded keys, then the validation items in id order.</summary>
    private static List<SnapshotItem> Order(
        List<ExampleCandidate> train, List<ExampleCandidate> rehearsal, List<long> replay, List<ExampleCandidate> validation, int window, long seed)
    {
        var ordered = train.Select(e => (Key: StableHash.Key(seed, "order-train", e.Id), Kind: SnapshotItemKind.Train, Id: e.Id))
            .Concat(rehearsal.Select(e => (Key: StableHash.Key(seed, "order-rehearsal", e.Id), Kind: SnapshotItemKind.Rehearsal, Id: e.Id)))
            .Concat(replay.Select(s => (Key: StableHash.Key(seed, "order-replay", s), Kind: SnapshotItemKind.Replay, Id: s)))
            .OrderBy(x => x.Key).ThenBy(x => x.Kind).ThenBy(x => x.Id);
        var items = new List<SnapshotItem>(train.Count + rehearsal.Count + replay.Count + validation.Count);
        foreach (var (_, kind, id) in ordered)
        {
            items.Add(kind == SnapshotItemKind.Replay
                ? new SnapshotItem(items.Count, kind, null, id * window, window)
                : new SnapshotItem(items.Count, kind, id, null, null));
        }
        foreach (var example in validation) items.Add(new SnapshotItem(items.Count, SnapshotItemKind.Validation, example.Id, null, null));
        return items;
    }

    private static IEnumerable<long> LongRange(long count)
    {
        for (long i = 0; i < count; i++) yield return i;
    }

    private static async Task<List<ExampleCandidate>> LoadCandidatesAsync(
        SqliteConnection connection, SqliteTransaction transaction, long fingerprintId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            SELECT e.id, e.conversation_id, e.session_id, e.source_file, e.decision_length, e.decision_sha256, e.minhash,
                   EXISTS (SELECT 1 FROM dataset_snapshot_items i JOIN dataset_snapshots s ON s.id = i.snapshot_id
                           WHERE i.example_id = e.id AND s.accepted_utc IS NOT NULL AND i.kind IN ('train', 'rehearsal')),
                   EXISTS (SELECT 1 FROM dataset_snapshot_items i JOIN dataset_snapshots s ON s.id = i.snapshot_id
                           WHERE i.example_id = e.id AND s.accepted_utc IS NOT NULL AND i.kind = 'validation')
            FROM dataset_examples e
            WHERE e.fingerprint_id = $fingerprint AND e.retired_seq IS NULL
            ORDER BY e.id
            """;
        command.Parameters.AddWithValue("$fingerprint", fingerprintId);
        var candidates = new List<ExampleCandidate>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            candidates.Add(new ExampleCandidate(
                reader.GetInt64(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3),
                reader.GetInt32(4), reader.GetString(5), MinHash.FromBytes((byte[])reader.GetValue(6)),
                reader.GetBoolean(7), reader.GetBoolean(8)));
        }
        return candidates;
    }

    private async Task<long> WriteAsync(
        SqliteConnection connection, SqliteTransaction transaction, long fingerprintId, long seed,
        SnapshotSettings settings, SnapshotSummary summary, List<SnapshotItem> items, CancellationToken cancellationToken)
    {
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO dataset_snapshots(fingerprint_id, seed, created_utc, settings, general_corpus, general_corpus_sha256, summary)
            VALUES ($fingerprint, $seed, $created, $settings, $corpus, $corpusHash, $summary);
            SELECT last_insert_rowid();
            """;
        insert.Parameters.AddWithValue("$fingerprint", fingerprintId);
        insert.Parameters.AddWithValue("$seed", seed);
        insert.Parameters.AddWithValue("$created", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        insert.Parameters.AddWithValue("$settings", JsonSerializer.Serialize(settings, DatasetJson.Options));
        insert.Parameters.AddWithValue("$corpus", (object?)corpus?.Path ?? DBNull.Value);
        insert.Parameters.AddWithValue("$corpusHash", (object?)corpus?.ContentHash ?? DBNull.Value);
        insert.Parameters.AddWithValue("$summary", JsonSerializer.Serialize(summary, DatasetJson.Options));
        var id = Convert.ToInt64(await insert.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);

        await using var item = connection.CreateCommand();
        item.Transaction = transaction;
        item.CommandText = """
            INSERT INTO dataset_snapshot_items(snapshot_id, position, kind, example_id, window_offset, window_tokens)
            VALUES ($snapshot, $position, $kind, $example, $offset, $tokens)
            """;
        var position = item.Parameters.Add("$position", SqliteType.Integer);
        var kind = item.Parameters.Add("$kind", SqliteType.Text);
        var example = item.Parameters.Add("$example", SqliteType.Integer);
        var offset = item.Parameters.Add("$offset", SqliteType.Integer);
        var tokens = item.Parameters.Add("$tokens", SqliteType.Integer);
        item.Parameters.AddWithValue("$snapshot", id);
        foreach (var entry in items)
        {
            position.Value = entry.Position;
            kind.Value = entry.Kind.ToName();
            example.Value = (object?)entry.ExampleId ?? DBNull.Value;
            offset.Value = (object?)entry.WindowOffset ?? DBNull.Value;
            tokens.Value = (object?)entry.WindowTokens ?? DBNull.Value;
            await item.ExecuteNonQueryAsync(cancellationToken);
        }
        return id;
    }
}
