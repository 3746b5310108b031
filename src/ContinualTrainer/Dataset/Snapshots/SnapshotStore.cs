using System.Globalization;
using System.Text.Json;
using ContinualTrainer.State;

namespace ContinualTrainer.Dataset.Snapshots;

/// <summary>
/// Reads training-set snapshots (tables <c>dataset_snapshots</c>, <c>dataset_snapshot_items</c>) and marks them
/// accepted. Snapshots are written by <see cref="DatasetBuilder"/>; the database refuses any change to a written
/// snapshot other than setting its acceptance time.
/// </summary>
public sealed class SnapshotStore(StateDatabase database)
{
    /// <summary>The snapshot, or null when there is none with that id.</summary>
    public async Task<DatasetSnapshot?> ReadAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT s.fingerprint_id, f.fingerprint, s.seed, s.created_utc, s.accepted_utc, s.settings, s.general_corpus, s.general_corpus_sha256, s.summary
            FROM dataset_snapshots s JOIN dataset_fingerprints f ON f.id = s.fingerprint_id WHERE s.id = $id
            """;
        command.Parameters.AddWithValue("$id", id);
        long fingerprintId, seed;
        string fingerprint, settings, summary;
        string? corpus, corpusHash, accepted, created;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken)) return null;
            fingerprintId = reader.GetInt64(0);
            fingerprint = reader.GetString(1);
            seed = reader.GetInt64(2);
            created = reader.GetString(3);
            accepted = reader.IsDBNull(4) ? null : reader.GetString(4);
            settings = reader.GetString(5);
            corpus = reader.IsDBNull(6) ? null : reader.GetString(6);
            corpusHash = reader.IsDBNull(7) ? null : reader.GetString(7);
            summary = reader.GetString(8);
        }

        var items = new List<SnapshotItem>();
        await using (var itemsCommand = connection.CreateCommand())
        {
            itemsCommand.CommandText = """
                SELECT position, kind, example_id, window_offset, window_tokens FROM dataset_snapshot_items
                WHERE snapshot_id = $id ORDER BY position
                """;
            itemsCommand.Parameters.AddWithValue("$id", id);
            await using var reader = await itemsCommand.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(new SnapshotItem(
                    reader.GetInt32(0),
                    SnapshotItemKindNames.Parse(reader.GetString(1)),
                    reader.IsDBNull(2) ? null : reader.GetInt64(2),
                    reader.IsDBNull(3) ? null : reader.GetInt64(3),
                    reader.IsDBNull(4) ? null : reader.GetInt32(4)));
            }
        }
        return new DatasetSnapshot(
            id, fingerprintId, fingerprint, seed, ParseTime(created)!.Value, ParseTime(accepted),
            Deserialize<SnapshotSettings>(settings, id, "settings"), corpus, corpusHash,
            Deserialize<SnapshotSummary>(summary, id, "summary"), items);
    }

    /// <summary>The accepted snapshots built for tokenizer <paramref name="fingerprint"/>, oldest first (what earlier runs taught).</summary>
    public async Task<IReadOnlyList<long>> AcceptedIdsAsync(string fingerprint, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT s.id FROM dataset_snapshots s JOIN dataset_fingerprints f ON f.id = s.fingerprint_id
            WHERE f.fingerprint = $fingerprint AND s.accepted_utc IS NOT NULL ORDER BY s.id
            """;
        command.Parameters.AddWithValue("$fingerprint", fingerprint);
        var ids = new List<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) ids.Add(reader.GetInt64(0));
        return ids;
    }

    /// <summary>
    /// Records that a training run on the snapshot was accepted: its trained examples stop being new and
    /// become what later snapshots rehearse. Returns false when it was already accepted.
    /// </summary>
    /// <exception cref="DatasetException">There is no snapshot <paramref name="snapshotId"/>.</exception>
    public Task<bool> MarkAcceptedAsync(long snapshotId, CancellationToken cancellationToken) =>
        database.InTransactionAsync(async (connection, transaction, ct) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "SELECT accepted_utc IS NOT NULL FROM dataset_snapshots WHERE id = $id";
            command.Parameters.AddWithValue("$id", snapshotId);
            var accepted = await command.ExecuteScalarAsync(ct) ?? throw new DatasetException($"there is no dataset snapshot {snapshotId}");
            if (Convert.ToInt64(accepted, CultureInfo.InvariantCulture) == 1) return false;
            command.CommandText = "UPDATE dataset_snapshots SET accepted_utc = $at WHERE id = $id";
            command.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            await command.ExecuteNonQueryAsync(ct);
            return true;
        }, cancellationToken);

    private static DateTimeOffset? ParseTime(string? text) =>
        text is null ? null : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    private static T Deserialize<T>(string json, long id, string column)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, DatasetJson.Options) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new DatasetException($"dataset snapshot {id}: its stored {column} is not readable JSON ({e.Message})", e);
        }
    }
}
