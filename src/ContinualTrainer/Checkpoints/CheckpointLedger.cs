using System.Globalization;
using ContinualTrainer.State;
using Microsoft.Data.Sqlite;

namespace ContinualTrainer.Checkpoints;

/// <summary>
/// The checkpoint bookkeeping in the state database (schema migration 2): versions, uploads to the storage host,
/// publications (every move of a store's <c>current</c>) and rollbacks. Writers that describe one change take
/// the caller's connection and transaction, so a change and its bookkeeping commit together.
/// </summary>
public sealed class CheckpointLedger(StateDatabase database)
{
    private const string VersionColumns = """
        v.version, v.parent, v.kind, v.self_contained, v.run_id, v.created_utc, v.file_count, v.bytes, v.manifest_sha256,
        v.general_perplexity, v.rejected, v.pruned_utc, v.remote_delete_pending, u.state, u.attempts, u.last_error, u.next_attempt_utc
        """;

    public Task<T> InTransactionAsync<T>(Func<SqliteConnection, SqliteTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        database.InTransactionAsync(work, cancellationToken);

    public async Task<IReadOnlyList<CheckpointVersion>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null,
            $"SELECT {VersionColumns} FROM checkpoint_versions v LEFT JOIN checkpoint_uploads u ON u.version = v.version ORDER BY v.version");
        return await ReadVersionsAsync(command, cancellationToken);
    }

    public async Task<CheckpointVersion?> GetAsync(int version, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null,
            $"SELECT {VersionColumns} FROM checkpoint_versions v LEFT JOIN checkpoint_uploads u ON u.version = v.version WHERE v.version = $v", ("$v", version));
        return (await ReadVersionsAsync(command, cancellationToken)).SingleOrDefault();
    }

    /// <summary>Versions not verified on the storage host (pruned ones excluded) and their bytes.</summary>
    public async Task<UploadBacklog> BacklogAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, """
            SELECT count(*), coalesce(sum(u.bytes), 0) FROM checkpoint_uploads u JOIN checkpoint_versions v ON v.version = u.version
            WHERE u.state <> 'verified' AND v.pruned_utc IS NULL
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new UploadBacklog(reader.GetInt32(0), reader.GetInt64(1));
    }

    /// <summary>Rollbacks so far, by reason (every reason present, 0 when none).</summary>
    public async Task<IReadOnlyDictionary<string, long>> RollbackCountsAsync(CancellationToken cancellationToken)
    {
        var counts = RollbackReason.All.ToDictionary(r => r, _ => 0L, StringComparer.Ordinal);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT reason, count(*) FROM checkpoint_rollbacks GROUP BY reason");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) counts[reader.GetString(0)] = reader.GetInt64(1);
        return counts;
    }

    /// <summary>The newest rollbacks first.</summary>
    public async Task<IReadOnlyList<RollbackRecord>> RollbacksAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null,
            "SELECT at_utc, from_version, to_version, reason, who, why FROM checkpoint_rollbacks ORDER BY id DESC LIMIT $n", ("$n", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<RollbackRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new RollbackRecord(ParseTime(reader.GetString(0)), reader.IsDBNull(1) ? null : reader.GetInt32(1), reader.GetInt32(2),
                reader.GetString(3), reader.GetString(4), reader.GetString(5)));
        }
        return list;
    }

    /// <summary>The version the storage host's <c>current</c> was last set to, or null.</summary>
    public async Task<int?> RemoteCurrentAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT version FROM checkpoint_publications WHERE store = 'ssh' ORDER BY id DESC LIMIT 1");
        return await command.ExecuteScalarAsync(cancellationToken) is long version ? (int)version : null;
    }

    /// <summary>Uploads to attempt now (pending, or failed with their retry time reached), oldest version first.</summary>
    public async Task<IReadOnlyList<int>> DueUploadsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, """
            SELECT u.version, u.next_attempt_utc FROM checkpoint_uploads u JOIN checkpoint_versions v ON v.version = u.version
            WHERE v.pruned_utc IS NULL AND u.state IN ('pending', 'failed') ORDER BY u.version
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var due = new List<int>();
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.IsDBNull(1) || ParseTime(reader.GetString(1)) <= now) due.Add(reader.GetInt32(0));
        }
        return due;
    }

    /// <summary>The earliest retry time among failed uploads, or null when none waits.</summary>
    public async Task<DateTimeOffset?> NextRetryAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, """
            SELECT u.next_attempt_utc FROM checkpoint_uploads u JOIN checkpoint_versions v ON v.version = u.version
            WHERE v.pruned_utc IS NULL AND u.state = 'failed' AND u.next_attempt_utc IS NOT NULL
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        DateTimeOffset? next = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            var at = ParseTime(reader.GetString(0));
            if (next is null || at < next) next = at;
        }
        return next;
    }

    /// <summary>Pruned versions whose copy on the storage host is still to be deleted.</summary>
    public async Task<IReadOnlyList<int>> RemoteDeletionsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT version FROM checkpoint_versions WHERE remote_delete_pending = 1 ORDER BY version");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<int>();
        while (await reader.ReadAsync(cancellationToken)) list.Add(reader.GetInt32(0));
        return list;
    }

    public static async Task InsertVersionAsync(SqliteConnection connection, SqliteTransaction transaction, CheckpointManifest manifest, string manifestSha256, string? rejected, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, """
            INSERT INTO checkpoint_versions(version, parent, kind, self_contained, run_id, created_utc, file_count, bytes, manifest_sha256, general_perplexity, rejected)
            VALUES ($v, $parent, $kind, $self, $run, $created, $files, $bytes, $sha, $ppl, $rejected)
            """,
            ("$v", manifest.Number), ("$parent", manifest.Parent is null ? null : VersionName.Parse(manifest.Parent, "manifest")),
            ("$kind", KindName(manifest.Kind)), ("$self", manifest.SelfContained ? 1 : 0), ("$run", manifest.RunId),
            ("$created", FormatTime(manifest.CreatedUtc)), ("$files", manifest.Files.Count), ("$bytes", manifest.TotalBytes),
            ("$sha", manifestSha256), ("$ppl", manifest.EvaluationAfter?.GeneralPerplexity), ("$rejected", rejected));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Queues (or re-queues) a version for upload: state pending, due now, no attempts yet, a fresh incoming folder.</summary>
    public static async Task QueueUploadAsync(SqliteConnection connection, SqliteTransaction transaction, int version, long bytes, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, """
            INSERT INTO checkpoint_uploads(version, state, attempts, bytes, updated_utc) VALUES ($v, 'pending', 0, $bytes, $now)
            ON CONFLICT(version) DO UPDATE SET state = 'pending', attempts = 0, next_attempt_utc = NULL, incoming = NULL, updated_utc = excluded.updated_utc
            """, ("$v", version), ("$bytes", bytes), ("$now", FormatTime(DateTimeOffset.UtcNow)));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task RecordPublicationAsync(SqliteConnection connection, SqliteTransaction transaction, string store, int version, int? previous, string cause, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "INSERT INTO checkpoint_publications(at_utc, store, version, previous, cause) VALUES ($at, $store, $v, $previous, $cause)",
            ("$at", FormatTime(DateTimeOffset.UtcNow)), ("$store", store), ("$v", version), ("$previous", previous), ("$cause", cause));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task RecordRollbackAsync(SqliteConnection connection, SqliteTransaction transaction, int? from, int to, string reason, string who, string why, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "INSERT INTO checkpoint_rollbacks(at_utc, from_version, to_version, reason, who, why) VALUES ($at, $from, $to, $reason, $who, $why)",
            ("$at", FormatTime(DateTimeOffset.UtcNow)), ("$from", from), ("$to", to), ("$reason", reason), ("$who", who), ("$why", why));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task MarkRejectedAsync(SqliteConnection connection, SqliteTransaction transaction, int version, string why, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, "UPDATE checkpoint_versions SET rejected = $why WHERE version = $v", ("$v", version), ("$why", why));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task MarkPrunedAsync(SqliteConnection connection, SqliteTransaction transaction, int version, bool remoteDeletePending, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "UPDATE checkpoint_versions SET pruned_utc = $now, remote_delete_pending = $remote WHERE version = $v",
            ("$v", version), ("$now", FormatTime(DateTimeOffset.UtcNow)), ("$remote", remoteDeletePending ? 1 : 0));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RemoteDeletedAsync(int version, CancellationToken cancellationToken) =>
        await ExecuteAsync("UPDATE checkpoint_versions SET remote_delete_pending = 0 WHERE version = $v", cancellationToken, ("$v", version));

    /// <summary>At start-up: uploads a previous process was running are pending again (they restart cleanly).</summary>
    public async Task ResetInterruptedUploadsAsync(CancellationToken cancellationToken) =>
        await ExecuteAsync("UPDATE checkpoint_uploads SET state = 'pending', updated_utc = $now WHERE state = 'uploading'", cancellationToken,
            ("$now", FormatTime(DateTimeOffset.UtcNow)));

    /// <summary>Marks an attempt started (state uploading, attempts + 1) and returns its incoming folder name, kept across retries so rsync resumes.</summary>
    public async Task<string> StartUploadAsync(int version, string freshIncoming, CancellationToken cancellationToken) =>
        await database.InTransactionAsync(async (connection, transaction, ct) =>
        {
            await using var command = Command(connection, transaction, """
                UPDATE checkpoint_uploads SET state = 'uploading', attempts = attempts + 1, incoming = coalesce(incoming, $fresh), updated_utc = $now
                WHERE version = $v RETURNING incoming
                """, ("$v", version), ("$fresh", freshIncoming), ("$now", FormatTime(DateTimeOffset.UtcNow)));
            return await command.ExecuteScalarAsync(ct) as string ?? throw new CheckpointException($"{VersionName.Format(version)}: no upload is queued");
        }, cancellationToken);

    public async Task UploadVerifiedAsync(int version, CancellationToken cancellationToken) =>
        await ExecuteAsync("""
            UPDATE checkpoint_uploads SET state = 'verified', last_error = NULL, next_attempt_utc = NULL, incoming = NULL, updated_utc = $now WHERE version = $v
            """, cancellationToken, ("$v", version), ("$now", FormatTime(DateTimeOffset.UtcNow)));

    /// <param name="discardIncoming">The partial upload is unusable (it failed verification): the next attempt starts a fresh folder.</param>
    public async Task UploadFailedAsync(int version, string error, DateTimeOffset nextAttempt, bool discardIncoming, CancellationToken cancellationToken) =>
        await ExecuteAsync($"""
            UPDATE checkpoint_uploads SET state = 'failed', last_error = $error, next_attempt_utc = $next, updated_utc = $now{(discardIncoming ? ", incoming = NULL" : "")}
            WHERE version = $v
            """, cancellationToken, ("$v", version), ("$error", error), ("$next", FormatTime(nextAttempt)), ("$now", FormatTime(DateTimeOffset.UtcNow)));

    public static string FormatTime(DateTimeOffset time) => time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    public static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    public static string KindName(CheckpointKind kind) => kind.ToString().ToLowerInvariant();

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters) =>
        await database.InTransactionAsync(async (connection, transaction, ct) =>
        {
            await using var command = Command(connection, transaction, sql, parameters);
            return await command.ExecuteNonQueryAsync(ct);
        }, cancellationToken);

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private static async Task<IReadOnlyList<CheckpointVersion>> ReadVersionsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<CheckpointVersion>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new CheckpointVersion
            {
                Number = reader.GetInt32(0),
                Parent = reader.IsDBNull(1) ? null : reader.GetInt32(1),
                Kind = Enum.Parse<CheckpointKind>(reader.GetString(2), ignoreCase: true),
                SelfContained = reader.GetInt64(3) == 1,
                RunId = reader.IsDBNull(4) ? null : reader.GetString(4),
                CreatedUtc = ParseTime(reader.GetString(5)),
                FileCount = reader.GetInt32(6),
                Bytes = reader.GetInt64(7),
                ManifestSha256 = reader.GetString(8),
                GeneralPerplexity = reader.IsDBNull(9) ? null : reader.GetDouble(9),
                Rejected = reader.IsDBNull(10) ? null : reader.GetString(10),
                PrunedUtc = reader.IsDBNull(11) ? null : ParseTime(reader.GetString(11)),
                RemoteDeletePending = reader.GetInt64(12) == 1,
                Upload = reader.IsDBNull(13) ? null : new UploadStatus(
                    Enum.Parse<UploadState>(reader.GetString(13), ignoreCase: true),
                    reader.GetInt32(14),
                    reader.IsDBNull(15) ? null : reader.GetString(15),
                    reader.IsDBNull(16) ? null : ParseTime(reader.GetString(16))),
            });
        }
        return list;
    }
}
