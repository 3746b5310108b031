using ContinualTrainer.Configuration;
using ContinualTrainer.State;

namespace ContinualTrainer.Checkpoints;

/// <summary>The checkpoint lines of <c>continual-trainer status</c>: the current version, the upload backlog (with a storage host) and the last rollback.</summary>
public sealed record CheckpointStatus
{
    public string? Current { get; init; }
    public int Versions { get; init; }
    /// <summary>Null when no storage host is configured.</summary>
    public UploadBacklog? UploadBacklog { get; init; }
    public RollbackRecord? LastRollback { get; init; }

    /// <summary>Reads the status without changing anything (the database must have schema 2 or later).</summary>
    public static async Task<CheckpointStatus> ReadAsync(StateDatabase database, CheckpointsOptions options, CancellationToken cancellationToken)
    {
        var ledger = new CheckpointLedger(database);
        string? current;
        try
        {
            current = new LocalCheckpointStore(options.Local).ReadCurrent() is { } v ? VersionName.Format(v) : null;
        }
        catch (CheckpointException e)
        {
            current = "unreadable: " + e.Message;
        }
        return new CheckpointStatus
        {
            Current = current,
            Versions = (await ledger.ListAsync(cancellationToken)).Count(v => v.PrunedUtc is null),
            UploadBacklog = options.Ssh is null ? null : await ledger.BacklogAsync(cancellationToken),
            LastRollback = (await ledger.RollbacksAsync(1, cancellationToken)).FirstOrDefault(),
        };
    }

    public void WriteText(TextWriter output)
    {
        output.WriteLine($"checkpoints:   {(Current is null ? "none yet" : $"current {Current}")}, {Versions} version{(Versions == 1 ? "" : "s")} stored");
        if (UploadBacklog is { } backlog)
            output.WriteLine($"uploads:       {(backlog.Versions == 0 ? "none (the storage host has every version)" : $"backlog of {backlog.Versions} version{(backlog.Versions == 1 ? "" : "s")}, {backlog.Bytes} bytes not yet on the storage host")}");
        if (LastRollback is { } r)
            output.WriteLine($"last rollback: {(r.From is { } f ? VersionName.Format(f) : "none")} -> {VersionName.Format(r.To)} at {CheckpointLedger.FormatTime(r.AtUtc)} ({r.Reason}, by {r.Who}: {r.Why})");
    }
}
