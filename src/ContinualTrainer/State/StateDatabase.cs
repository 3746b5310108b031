using System.Data;
using Microsoft.Data.Sqlite;

namespace ContinualTrainer.State;

/// <summary>
/// The one owner of the state database (<c>state.db</c>): opens connections with the daemon's pragmas
/// (WAL, busy timeout, foreign keys), applies schema migrations at start-up, and runs units of work in
/// transactions so that work and its bookkeeping commit together.
/// </summary>
public sealed class StateDatabase
{
    private const int BusyTimeoutMs = 10_000;
    private readonly string connectionString;

    public StateDatabase(string path, IReadOnlyList<Migration>? migrations = null)
    {
        Path = System.IO.Path.GetFullPath(path);
        Migrations = migrations ?? SchemaMigrations.All;
        for (var i = 0; i < Migrations.Count; i++)
        {
            if (Migrations[i].Version != i + 1)
                throw new ArgumentException($"migration versions must be 1..N without gaps; found {Migrations[i].Version} at position {i + 1}");
        }
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = BusyTimeoutMs / 1000,
        }.ToString();
    }

    public string Path { get; }

    /// <summary>The connection string (busy timeout included) for components that open their own connections: Quartz's job store.</summary>
    public string ConnectionString => connectionString;

    public IReadOnlyList<Migration> Migrations { get; }
    public int KnownVersion => Migrations.Count == 0 ? 0 : Migrations[^1].Version;

    /// <summary>Opens a connection with the daemon's pragmas. The caller disposes it.</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = $"PRAGMA busy_timeout = {BusyTimeoutMs}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch (SqliteException e)
        {
            await connection.DisposeAsync();
            throw new StateDatabaseException($"{Path}: cannot open: {e.Message}", e);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one IMMEDIATE transaction (the write lock is taken up front, so two
    /// writers queue instead of failing mid-way) and commits it; any exception rolls everything back.
    /// </summary>
    public async Task<T> InTransactionAsync<T>(Func<SqliteConnection, SqliteTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken);
        var result = await work(connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    /// <summary>The schema version stored in the file (0 for a new, empty database).</summary>
    public async Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ReadUserVersionAsync(connection, null, cancellationToken);
    }

    /// <summary>
    /// Brings the schema up to <see cref="KnownVersion"/> in one transaction, and switches the file to WAL.
    /// A database whose schema is newer than this build knows is refused and left untouched.
    /// </summary>
    /// <returns>The versions applied (empty when already current).</returns>
    public async Task<IReadOnlyList<Migration>> MigrateAsync(CancellationToken cancellationToken)
    {
        var directory = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);

        await using var connection = await OpenAsync(cancellationToken);
        var current = await ReadUserVersionAsync(connection, null, cancellationToken);
        if (current > KnownVersion)
        {
            throw new StateDatabaseException(
                $"{Path} has schema version {current}, newer than the {KnownVersion} this build of continual-trainer knows; "
                + "it was written by a newer version — upgrade continual-trainer (the file was not changed)");
        }

        await using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            await wal.ExecuteScalarAsync(cancellationToken);
        }
        if (current == KnownVersion) return [];

        var applied = new List<Migration>();
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken);
        // Re-read under the write lock: another process may have migrated meanwhile.
        current = await ReadUserVersionAsync(connection, transaction, cancellationToken);
        if (current > KnownVersion)
            throw new StateDatabaseException($"{Path} has schema version {current}, newer than the {KnownVersion} this build knows (the file was not changed)");
        foreach (var migration in Migrations.Where(m => m.Version > current))
        {
            try
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = migration.Sql + $"\nPRAGMA user_version = {migration.Version};";
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (SqliteException e)
            {
                throw new StateDatabaseException($"{Path}: migration {migration.Version} ({migration.Name}) failed: {e.Message}; nothing was changed", e);
            }
            applied.Add(migration);
        }
        await transaction.CommitAsync(cancellationToken);
        return applied;
    }

    private static async Task<int> ReadUserVersionAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA user_version;";
        try
        {
            return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken));
        }
        catch (SqliteException e)
        {
            throw new StateDatabaseException($"{connection.DataSource}: not a readable SQLite database: {e.Message}", e);
        }
    }
}
