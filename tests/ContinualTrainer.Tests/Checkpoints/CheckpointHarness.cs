using System.Collections.Immutable;
using System.Security.Cryptography;
using ContinualTrainer.Checkpoints;
using ContinualTrainer.Configuration;
using ContinualTrainer.Metrics;
using ContinualTrainer.State;
using ContinualTrainer.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace ContinualTrainer.Tests.Checkpoints;

/// <summary>
/// A state database, a local store (and optionally a storage host) and a repository on them, all inside one
/// temporary folder, with helpers that stage and publish small models.
/// </summary>
internal sealed class CheckpointHarness
{
    private int staged;

    private CheckpointHarness(TempDir dir, CheckpointsOptions options, StateDatabase database, MetricsRegistry registry, CheckpointMetrics metrics, CheckpointRepository repository)
    {
        Dir = dir;
        Options = options;
        Database = database;
        Registry = registry;
        Metrics = metrics;
        Repository = repository;
    }

    public TempDir Dir { get; }
    public CheckpointsOptions Options { get; }
    public StateDatabase Database { get; }
    public MetricsRegistry Registry { get; }
    public CheckpointMetrics Metrics { get; }
    public CheckpointRepository Repository { get; }
    public LocalCheckpointStore Local => Repository.Local;

    public static async Task<CheckpointHarness> CreateAsync(TempDir dir, CheckpointsSshOptions? ssh = null, IPostPublishCheck? check = null, int keepLast = 5, int keepEvery = 10)
    {
        var options = new CheckpointsOptions { Local = dir.File("state/checkpoints"), Ssh = ssh, KeepLast = keepLast, KeepEvery = keepEvery };
        var database = new StateDatabase(dir.File("state/state.db"));
        await database.MigrateAsync(CancellationToken.None);
        var registry = new MetricsRegistry();
        var metrics = new CheckpointMetrics(registry);
        var repository = new CheckpointRepository(options, new CheckpointLedger(database), ssh is null ? null : new SshCheckpointStore(ssh),
            NullLogger<CheckpointRepository>.Instance, metrics, check);
        return new CheckpointHarness(dir, options, database, registry, metrics, repository);
    }

    /// <summary>A second repository on the same store and database (another process, e.g. the CLI).</summary>
    public CheckpointRepository Reopen(IPostPublishCheck? check = null) =>
        new(Options, new CheckpointLedger(Database), Options.Ssh is null ? null : new SshCheckpointStore(Options.Ssh), NullLogger<CheckpointRepository>.Instance, Metrics, check);

    /// <summary>Writes a base model (plus a pickle that must never be copied) and registers it as v0.</summary>
    public async Task<CheckpointVersion> RegisterBaseAsync(int vocab = 32)
    {
        var source = TestModels.WriteModel(Dir.File("base-model"), seed: 0, vocab: vocab);
        File.WriteAllBytes(Path.Combine(source, "pytorch_model.bin"), [0x80, 0x04, 0x95]);
        return await Repository.RegisterBaseAsync(source, CancellationToken.None);
    }

    /// <summary>Stages a full model (or a LoRA adapter) and publishes it with the given evaluated general perplexity.</summary>
    public async Task<PublishResult> PublishAsync(double perplexityAfter, CheckpointKind kind = CheckpointKind.Full, int vocab = 32, bool merged = false)
    {
        var staging = Dir.File($"staging-{++staged}");
        if (kind == CheckpointKind.Lora) TestModels.WriteLoraAdapter(staging, staged, merged);
        else TestModels.WriteModel(staging, staged, vocab);
        return await Repository.PublishAsync(Request(staging, perplexityAfter, kind), CancellationToken.None);
    }

    public static PublishRequest Request(string staging, double perplexityAfter, CheckpointKind kind = CheckpointKind.Full) => new()
    {
        StagingDirectory = staging,
        Kind = kind,
        RunId = "run-" + Path.GetFileName(staging),
        DatasetSnapshotId = "snapshot-7",
        ConfigHash = "cfg-3f2a",
        EvaluationBefore = new CheckpointEvaluation { GeneralPerplexity = 20.0 },
        EvaluationAfter = new CheckpointEvaluation
        {
            GeneralPerplexity = perplexityAfter,
            Metrics = ImmutableSortedDictionary<string, double>.Empty.Add("domain_perplexity", 9.5),
        },
        GuardDecision = "accept: general perplexity within 2% of the parent",
    };

    public static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>Flips one byte in the middle of a file (size unchanged).</summary>
    public static void FlipByte(string path)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>The value of one sample line of the exposition, e.g. <c>continual_trainer_rollbacks_total{reason="manual"}</c>.</summary>
    public double Metric(string sample)
    {
        var line = Registry.Render().Split('\n').Single(l => l.StartsWith(sample + " ", StringComparison.Ordinal));
        return double.Parse(line[(sample.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
