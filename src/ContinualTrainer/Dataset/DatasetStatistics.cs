using System.Globalization;
using ContinualTrainer.Dataset.Diversity;
using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Store;
using ContinualTrainer.State;
using Microsoft.Data.Sqlite;

namespace ContinualTrainer.Dataset;

/// <summary>Computes <see cref="DatasetStats"/> from the state database (read only).</summary>
public static class DatasetStatistics
{
    public static async Task<DatasetStats> ReadAsync(StateDatabase database, TokenizerProfile profile, CancellationToken cancellationToken)
    {
        var ingestion = await new ConversationStore(database).ReadStatusAsync(cancellationToken);
        var byCategory = Enum.GetValues<ConversationCategory>().ToDictionary(c => c.ToName(), _ => 0L, StringComparer.Ordinal);
        var bySource = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var stats = new DatasetStats
        {
            Fingerprint = profile.Fingerprint,
            ChatFormat = Rendering.ChatFormatNames.ToName(profile.Renderer.Format),
            ByCategory = byCategory,
            BySource = bySource,
            LinesSkipped = ingestion?.LinesSkipped ?? 0,
            FilesQuarantined = ingestion?.FileCount(SourceFileState.Quarantined) ?? 0,
        };

        await using var connection = await database.OpenAsync(cancellationToken);
        if (await ExampleStore.FindFingerprintAsync(connection, null, profile.Fingerprint, cancellationToken) is not { } fingerprintId) return stats;

        long examples = 0, decisionTokens = 0, contextTokens = 0, waiting = 0, totalBigrams = 0, nearDuplicates = 0;
        var bigrams = new HashSet<(string, string)>();
        var index = new NearDuplicateIndex(profile.Options.NearDuplicateThreshold);
        var texts = new HashSet<string>(StringComparer.Ordinal);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                SELECT e.id, e.category, e.source_file, e.decision_start, e.decision_length, e.decision_text, e.decision_sha256, e.minhash,
                       NOT EXISTS (SELECT 1 FROM dataset_snapshot_items i JOIN dataset_snapshots s ON s.id = i.snapshot_id
                                   WHERE i.example_id = e.id AND s.accepted_utc IS NOT NULL)
                FROM dataset_examples e WHERE e.fingerprint_id = $f AND e.retired_seq IS NULL ORDER BY e.id
                """;
            command.Parameters.AddWithValue("$f", fingerprintId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                examples++;
                var category = reader.GetString(1);
                byCategory[category] = byCategory.GetValueOrDefault(category) + 1;
                var source = reader.GetString(2);
                bySource[source] = bySource.GetValueOrDefault(source) + 1;
                contextTokens += reader.GetInt32(3);
                decisionTokens += reader.GetInt32(4);
                var words = MinHash.Words(reader.GetString(5));
                for (var w = 0; w + 1 < words.Count; w++) bigrams.Add((words[w], words[w + 1]));
                totalBigrams += Math.Max(0, words.Count - 1);
                var signature = MinHash.FromBytes((byte[])reader.GetValue(7));
                var hasWords = words.Count > 0;
                if (!texts.Add(reader.GetString(6)) || (hasWords && index.FindNearDuplicate(signature) is not null)) nearDuplicates++;
                else if (hasWords) index.Add(reader.GetInt64(0), signature);
                if (reader.GetBoolean(8)) waiting++;
            }
        }

        var derivation = await ScalarsAsync(connection, """
            SELECT count(*), coalesce(sum(duplicates), 0), coalesce(sum(too_short), 0), coalesce(sum(truncated), 0)
            FROM dataset_conversations WHERE fingerprint_id = $f
            """, fingerprintId, cancellationToken);
        var snapshots = await ScalarsAsync(connection,
            "SELECT count(*), count(accepted_utc) FROM dataset_snapshots WHERE fingerprint_id = $f", fingerprintId, cancellationToken);
        return stats with
        {
            Examples = examples,
            DecisionTokens = decisionTokens,
            ContextTokens = contextTokens,
            Conversations = derivation[0],
            DuplicatesRemoved = derivation[1],
            TooShort = derivation[2],
            Truncated = derivation[3],
            NearDuplicatesRemoved = nearDuplicates,
            Distinct2 = totalBigrams == 0 ? 0 : Math.Round((double)bigrams.Count / totalBigrams, 6),
            CategoryEntropy = Math.Round(EntropyBits(byCategory.Values), 6),
            ExamplesWaiting = waiting,
            Snapshots = snapshots[0],
            SnapshotsAccepted = snapshots[1],
        };
    }

    /// <summary>Shannon entropy in bits of the distribution given by <paramref name="counts"/> (0 for no items).</summary>
    public static double EntropyBits(IEnumerable<long> counts)
    {
        var list = counts.Where(c => c > 0).ToList();
        double total = list.Sum();
        return list.Sum(c => c / total * Math.Log2(total / c));
    }

    private static async Task<long[]> ScalarsAsync(SqliteConnection connection, string sql, long fingerprintId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$f", fingerprintId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var values = new long[reader.FieldCount];
        for (var i = 0; i < values.Length; i++) values[i] = Convert.ToInt64(reader.GetValue(i), CultureInfo.InvariantCulture);
        return values;
    }
}
