using Microsoft.Data.Sqlite;

namespace ContinualTrainer.State;

/// <summary>Small key/value facts the daemon keeps (its status line, when it last started) in table <c>meta</c>.</summary>
public sealed class MetaStore(StateDatabase database)
{
    public async Task SetAsync(string key, string value, CancellationToken cancellationToken)
    {
        await database.InTransactionAsync(async (connection, transaction, ct) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO meta(key, value) VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value";
            command.Parameters.AddWithValue("$k", key);
            command.Parameters.AddWithValue("$v", value);
            return await command.ExecuteNonQueryAsync(ct);
        }, cancellationToken);
    }

    public async Task<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE key = $k";
        command.Parameters.AddWithValue("$k", key);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task AddEventAsync(string kind, string detail, CancellationToken cancellationToken)
    {
        await database.InTransactionAsync(async (connection, transaction, ct) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO daemon_events(at_utc, kind, detail) VALUES ($at, $kind, $detail)";
            command.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("O"));
            command.Parameters.AddWithValue("$kind", kind);
            command.Parameters.AddWithValue("$detail", detail);
            return await command.ExecuteNonQueryAsync(ct);
        }, cancellationToken);
    }

    public static class Keys
    {
        public const string StatusLine = "daemon.status_line";
        public const string StartedAt = "daemon.started_at_utc";
        public const string StoppedAt = "daemon.stopped_at_utc";
        /// <summary>Where the running daemon's HTTP listener is (e.g. http://127.0.0.1:9464), for verbs that talk to it.</summary>
        public const string ListenUrl = "daemon.listen_url";
    }
}
