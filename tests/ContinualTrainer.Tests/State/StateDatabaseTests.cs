using System.Security.Cryptography;
using ContinualTrainer.State;
using ContinualTrainer.Tests.Support;
using Microsoft.Data.Sqlite;

namespace ContinualTrainer.Tests.State;

public sealed class StateDatabaseTests
{
    private static readonly Migration One = new(1, "one", "CREATE TABLE a (x INTEGER NOT NULL);");
    private static readonly Migration Two = new(2, "two", "CREATE TABLE b (y TEXT NOT NULL); INSERT INTO a(x) VALUES (2);");

    [Fact]
    public async Task A_fresh_database_gets_every_migration_and_WAL()
    {
        using var dir = new TempDir();
        var database = new StateDatabase(dir.File("state.db"));
        var applied = await database.MigrateAsync(CancellationToken.None);

        Assert.Equal(SchemaMigrations.All.Select(m => m.Version), applied.Select(m => m.Version));
        Assert.Equal(SchemaMigrations.LatestVersion, await database.GetSchemaVersionAsync(CancellationToken.None));
        await using var connection = await database.OpenAsync(CancellationToken.None);
        Assert.Equal("wal", await Scalar(connection, "PRAGMA journal_mode"));
        Assert.Equal(10_000L, await Scalar(connection, "PRAGMA busy_timeout"));
        Assert.Equal(1L, await Scalar(connection, "SELECT count(*) FROM sqlite_master WHERE name = 'meta'"));
        Assert.Empty(await database.MigrateAsync(CancellationToken.None));
    }

    [Fact]
    public async Task An_older_database_is_upgraded_keeping_its_data()
    {
        using var dir = new TempDir();
        var path = dir.File("state.db");
        await new StateDatabase(path, [One]).MigrateAsync(CancellationToken.None);
        await using (var c = await new StateDatabase(path, [One]).OpenAsync(CancellationToken.None))
            await Scalar(c, "INSERT INTO a(x) VALUES (1)");

        var upgraded = new StateDatabase(path, [One, Two]);
        var applied = await upgraded.MigrateAsync(CancellationToken.None);

        Assert.Equal([2], applied.Select(m => m.Version));
        Assert.Equal(2, await upgraded.GetSchemaVersionAsync(CancellationToken.None));
        await using var connection = await upgraded.OpenAsync(CancellationToken.None);
        Assert.Equal(2L, await Scalar(connection, "SELECT count(*) FROM a"));
        Assert.Equal(0L, await Scalar(connection, "SELECT count(*) FROM b"));
    }

    [Fact]
    public async Task A_newer_schema_is_refused_and_the_file_left_unchanged()
    {
        using var dir = new TempDir();
        var path = dir.File("state.db");
        await new StateDatabase(path, [One, Two]).MigrateAsync(CancellationToken.None);
        SqliteConnection.ClearAllPools();
        var before = SHA256.HashData(File.ReadAllBytes(path));

        var old = new StateDatabase(path, [One]);
        var error = await Assert.ThrowsAsync<StateDatabaseException>(() => old.MigrateAsync(CancellationToken.None));

        Assert.Contains("schema version 2, newer than the 1 this build of continual-trainer knows", error.Message);
        SqliteConnection.ClearAllPools();
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(path)));
    }

    [Fact]
    public async Task A_failing_migration_changes_nothing()
    {
        using var dir = new TempDir();
        var path = dir.File("state.db");
        await new StateDatabase(path, [One]).MigrateAsync(CancellationToken.None);
        var broken = new Migration(2, "broken", "CREATE TABLE c (z INTEGER); INSERT INTO no_such_table VALUES (1);");

        var error = await Assert.ThrowsAsync<StateDatabaseException>(() => new StateDatabase(path, [One, broken]).MigrateAsync(CancellationToken.None));

        Assert.Contains("migration 2 (broken) failed", error.Message);
        var database = new StateDatabase(path, [One]);
        Assert.Equal(1, await database.GetSchemaVersionAsync(CancellationToken.None));
        await using var connection = await database.OpenAsync(CancellationToken.None);
        Assert.Equal(0L, await Scalar(connection, "SELECT count(*) FROM sqlite_master WHERE name = 'c'"));
    }

    [Fact]
    public async Task A_file_that_is_not_sqlite_is_refused_clearly()
    {
        using var dir = new TempDir();
        var path = dir.Write("state.db", new string('x', 4096));
        var error = await Assert.ThrowsAsync<StateDatabaseException>(() => new StateDatabase(path).MigrateAsync(CancellationToken.None));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public async Task A_transaction_that_throws_commits_nothing()
    {
        using var dir = new TempDir();
        var database = new StateDatabase(dir.File("state.db"));
        await database.MigrateAsync(CancellationToken.None);
        var meta = new MetaStore(database);

        await Assert.ThrowsAsync<InvalidOperationException>(() => database.InTransactionAsync<int>(async (c, t, ct) =>
        {
            await using var command = c.CreateCommand();
            command.Transaction = t;
            command.CommandText = "INSERT INTO meta(key, value) VALUES ('k', 'v')";
            await command.ExecuteNonQueryAsync(ct);
            throw new InvalidOperationException("boom");
        }, CancellationToken.None));

        Assert.Null(await meta.GetAsync("k", CancellationToken.None));
        await meta.SetAsync("k", "v2", CancellationToken.None);
        Assert.Equal("v2", await meta.GetAsync("k", CancellationToken.None));
    }

    private static async Task<object?> Scalar(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
