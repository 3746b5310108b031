using ContinualTrainer.Metrics;

namespace ContinualTrainer.Checkpoints;

/// <summary>
/// The checkpoint figures on <c>/metrics</c>: the upload backlog (bytes and versions not yet verified on the
/// storage host), upload attempts by result, rollbacks by reason and the current version. Backlog, rollbacks and
/// current are read from the state database by <see cref="Update"/> (so a rollback made with the CLI in another
/// process shows too); upload results are counted where they happen.
/// </summary>
public sealed class CheckpointMetrics
{
    public const string UploadVerified = "verified";
    public const string UploadFailed = "failed";

    private readonly Counter uploads;
    private long backlogBytes;
    private int backlogVersions;
    private int currentVersion = -1;
    private int fellBack;
    private double servingRatio = double.NaN;
    private int servingRatioVersion = -1;
    private volatile IReadOnlyDictionary<string, long> rollbacks = RollbackReason.All.ToDictionary(r => r, _ => 0L);

    public CheckpointMetrics(MetricsRegistry registry)
    {
        const string P = MetricsRegistry.Prefix;
        registry.Gauge(P + "checkpoint_backlog_bytes", "Bytes of checkpoint versions not yet verified on the storage host")
            .Observe(() => Interlocked.Read(ref backlogBytes));
        registry.Gauge(P + "checkpoint_backlog_versions", "Checkpoint versions not yet verified on the storage host")
            .Observe(() => Volatile.Read(ref backlogVersions));
        uploads = registry.Counter(P + "checkpoint_uploads_total", "Checkpoint upload attempts to the storage host, by result", "result");
        uploads.WithLabels(UploadVerified);
        uploads.WithLabels(UploadFailed);
        var rollbacksTotal = registry.Counter(P + "rollbacks_total", "Moves of the current model version back to an earlier one, by reason", "reason");
        foreach (var reason in RollbackReason.All) rollbacksTotal.WithLabels(reason).Observe(() => rollbacks.GetValueOrDefault(reason));
        registry.Gauge(P + "checkpoint_current_version", "The version number current points at (-1 before the first)")
            .Observe(() => Volatile.Read(ref currentVersion));
        registry.Gauge(P + "serving_perplexity_ratio", "General perplexity of the serving version / its parent's, as evaluated when it was trained (1 for the base model)")
            .Observe(() => Volatile.Read(ref servingRatio));
        registry.Gauge(P + "checkpoint_startup_fallback", "1 when start-up could not serve current and fell back to an older version that verifies")
            .Observe(() => Volatile.Read(ref fellBack));
    }

    /// <summary>The version <see cref="SetServingRatio"/> was last called for (-1: none yet).</summary>
    public int ServingRatioVersion => Volatile.Read(ref servingRatioVersion);

    /// <summary>The serving version's general perplexity ratio to its parent, from its manifest.</summary>
    public void SetServingRatio(int version, double ratio)
    {
        Volatile.Write(ref servingRatio, ratio);
        Volatile.Write(ref servingRatioVersion, version);
    }

    /// <summary>Whether the daemon serves a fallback because current failed verification at start-up.</summary>
    public void SetFallback(bool value) => Volatile.Write(ref fellBack, value ? 1 : 0);

    /// <summary>Counts one upload attempt's outcome (<see cref="UploadVerified"/> or <see cref="UploadFailed"/>).</summary>
    public void CountUpload(string result) => uploads.WithLabels(result).Inc();

    public void Update(UploadBacklog backlog, IReadOnlyDictionary<string, long> rollbackCounts, int? current)
    {
        Interlocked.Exchange(ref backlogBytes, backlog.Bytes);
        Volatile.Write(ref backlogVersions, backlog.Versions);
        rollbacks = rollbackCounts;
        Volatile.Write(ref currentVersion, current ?? -1);
    }
}
