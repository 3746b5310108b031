using System.Text;
using ContinualTrainer.Configuration;
using ContinualTrainer.Ingestion.Store;
using ContinualTrainer.Ingestion.Watching;
using ContinualTrainer.Metrics;
using ContinualTrainer.State;
using ContinualTrainer.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;

namespace ContinualTrainer.Tests.Ingestion.Store;

/// <summary>
/// A state folder with the two default watched folders, a migrated database and a <see cref="FileIngestor"/> over
/// them, plus the reads the tests check against (straight SQL, not the code under test).
/// </summary>
internal sealed class Inbox : IDisposable
{
    private readonly TempDir dir = new();

    public Inbox(params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?>
        {
            ["Ingestion:AgentLogs"] = Path.Combine(dir.Path, "inbox", "agent-logs"),
            ["Ingestion:Transcripts"] = Path.Combine(dir.Path, "inbox", "transcripts"),
        };
        foreach (var (key, value) in settings) values[key] = value.Replace("{dir}", dir.Path, StringComparison.Ordinal);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        Options = DaemonOptionsLoader.Bind(configuration, null, Path.Combine(dir.Path, "state"));
        Directory.CreateDirectory(AgentLogs);
        Directory.CreateDirectory(Transcripts);
        Directory.CreateDirectory(Options.Paths.State);
        Database = new StateDatabase(Options.Paths.Database);
        Database.MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
        Metrics = new MetricsRegistry();
        IngestionMetrics = new IngestionMetrics(Metrics);
        Ingestor = NewIngestor();
    }

    public string Root => dir.Path;

    public DaemonOptions Options { get; }

    public StateDatabase Database { get; }

    public MetricsRegistry Metrics { get; }

    public IngestionMetrics IngestionMetrics { get; }

    public ConversationChangeSignal Changes { get; } = new();

    public FileIngestor Ingestor { get; }

    public string AgentLogs => Options.Ingestion.AgentLogs[0];

    public string Transcripts => Options.Ingestion.Transcripts[0];

    public ConversationStore Store => new(Database);

    /// <summary>Another ingester on the same database, as a second process would have (its own connections and hash cache).</summary>
    public FileIngestor NewIngestor(int batchBytes = FileIngestor.DefaultBatchBytes) =>
        new(new StateDatabase(Options.Paths.Database), Options.Ingestion, IngestionMetrics, Changes, TimeProvider.System, batchBytes);

    public string Write(string folder, string name, string text)
    {
        var path = Path.Combine(folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    public static void Append(string path, string text)
    {
        using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        stream.Write(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Ingests <paramref name="path"/> with the category and format its watched folder gives it.</summary>
    public Task<IngestOutcome> IngestAsync(string path, FileCompleteness completeness = FileCompleteness.Finished, FileIngestor? ingestor = null)
    {
        var location = InboxPaths.Locate(Options.Ingestion, path);
        var target = new IngestTarget(path, location?.Root.Category, location?.Format, location?.RelativePath, completeness);
        return (ingestor ?? Ingestor).IngestAsync(target, CancellationToken.None);
    }

    /// <summary>Every stored conversation: (category, key) → (content hash, messages JSON, seq, revision).</summary>
    public async Task<IReadOnlyDictionary<(string Category, string Key), StoredRow>> ConversationsAsync()
    {
        await using var connection = await Database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT category, conversation_key, content_sha256, canonical_json, seq, revision, message_count FROM conversations";
        var rows = new Dictionary<(string, string), StoredRow>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1)),
                new StoredRow(reader.GetString(2), Encoding.UTF8.GetString((byte[])reader.GetValue(3)), reader.GetInt64(4), reader.GetInt32(5), reader.GetInt32(6)));
        }
        return rows;
    }

    public async Task<long> ScalarAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await Database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public async Task<string?> TextAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await Database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return await command.ExecuteScalarAsync() as string;
    }

    public void Dispose()
    {
        Ingestor.Dispose();
        SqliteConnection.ClearAllPools();
        dir.Dispose();
    }

    /// <summary>One stored conversation as the tests see it.</summary>
    public sealed record StoredRow(string ContentSha256, string MessagesJson, long Seq, int Revision, int MessageCount);
}
