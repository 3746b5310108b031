using ContinualTrainer.Configuration;
using ContinualTrainer.Dataset;
using ContinualTrainer.Dataset.General;
using ContinualTrainer.Dataset.Snapshots;
using ContinualTrainer.State;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Dataset;

/// <summary>
/// A temporary, migrated state database, the options and model the dataset layer works with there, and
/// short-hands to store conversations, derive examples and build snapshots.
/// </summary>
internal sealed class DatasetWorkspace : IDisposable
{
    /// <summary>Test defaults: decisions from one token, neither replay nor rehearsal.</summary>
    public static readonly DatasetOptions Plain = new() { MinDecisionTokens = 1, ReplayFraction = 0, RehearsalFraction = 0 };

    private readonly TempDir dir;

    private DatasetWorkspace(TempDir dir, StateDatabase database, DatasetOptions options, string model)
    {
        this.dir = dir;
        Database = database;
        Options = options;
        Model = model;
        Rows = new ConversationRows(database);
        Deriver = new ExampleDeriver(database, options);
    }

    public StateDatabase Database { get; }
    public DatasetOptions Options { get; }
    public string Model { get; }
    public ConversationRows Rows { get; }
    public ExampleDeriver Deriver { get; }
    public TokenizerProfile Profile => Deriver.Profile(Model);
    public SnapshotStore Snapshots => new(Database);
    public string Folder => dir.Path;

    public static async Task<DatasetWorkspace> CreateAsync(DatasetOptions? options = null, string? model = null)
    {
        var dir = new TempDir();
        var database = await ConversationRows.CreateDatabaseAsync(dir.Path);
        return new DatasetWorkspace(dir, database, options ?? Plain, model ?? TestModels.TinyLlama);
    }

    public Task<DerivationReport> DeriveAsync() => Deriver.DeriveAsync(Profile, CancellationToken.None);

    /// <summary>Derives, builds a snapshot with <paramref name="seed"/> and reads it back.</summary>
    public async Task<DatasetSnapshot> BuildAsync(long seed, GeneralCorpus? corpus = null)
    {
        await DeriveAsync();
        var id = await new DatasetBuilder(Database, Profile, corpus).BuildAsync(seed, CancellationToken.None);
        return (await Snapshots.ReadAsync(id, CancellationToken.None))!;
    }

    public void Dispose() => dir.Dispose();
}
