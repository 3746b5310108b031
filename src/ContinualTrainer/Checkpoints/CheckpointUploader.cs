using Microsoft.Extensions.Logging;

namespace ContinualTrainer.Checkpoints;

/// <summary>
/// Copies versions to the storage host, oldest first: the local copy is verified, rsync'd into
/// <c>PATH/.incoming/vN.&lt;random&gt;/</c> (the same folder across retries, so an interrupted transfer resumes),
/// every checksum is verified on the host (<c>sha256sum --check</c>), the folder is renamed to <c>PATH/vN</c>,
/// and then the host's <c>current</c> follows the local one. A failure is recorded with its error and retried after an exponential backoff with
/// jitter; a copy that fails verification is discarded and uploaded afresh.
/// </summary>
public sealed partial class CheckpointUploader(CheckpointRepository repository, SshCheckpointStore remote, ILogger<CheckpointUploader> logger, CheckpointMetrics? metrics = null)
{
    private readonly RetryBackoff backoff = new(remote.Options.RetryMin, remote.Options.RetryMax);

    /// <summary>
    /// One pass: every due upload (stopping at the first failure), then the host's <c>current</c>, then deletions of
    /// pruned copies. Returns when the next retry is due, or null when nothing waits for a retry.
    /// </summary>
    public async Task<DateTimeOffset?> RunOnceAsync(CancellationToken cancellationToken)
    {
        var ledger = repository.Ledger;
        foreach (var version in await ledger.DueUploadsAsync(DateTimeOffset.UtcNow, cancellationToken))
        {
            if (await UploadAsync(version, cancellationToken) is { } retryAt) return retryAt;
        }
        try
        {
            await SyncCurrentAsync(cancellationToken);
            await repository.DeleteRemoteCopiesAsync(cancellationToken);
        }
        catch (CheckpointException e)
        {
            LogHostWorkFailed(logger, e.Message);
            return DateTimeOffset.UtcNow + remote.Options.RetryMin;
        }
        return await ledger.NextRetryAsync(cancellationToken);
    }

    /// <summary>One attempt at one version; null when it is verified on the host, else when to retry.</summary>
    public async Task<DateTimeOffset?> UploadAsync(int version, CancellationToken cancellationToken)
    {
        var ledger = repository.Ledger;
        var row = await ledger.GetAsync(version, cancellationToken);
        if (row is null || row.PrunedUtc is not null || row.Upload is null || row.Upload.State == UploadState.Verified) return null;
        var incoming = await ledger.StartUploadAsync(version, SshCheckpointStore.NewIncomingName(version), cancellationToken);
        var discard = false;
        try
        {
            var local = await repository.Local.VerifyAsync(version, row.ManifestSha256, cancellationToken);
            if (!local.Ok) throw new CheckpointException($"not uploaded: {local.Summary()}");
            var manifest = local.Manifest!;

            // Already there and intact (a previous attempt got that far)? Otherwise upload, verify there, move into place.
            if (!await remote.PrepareUploadAsync(version, incoming, manifest, row.ManifestSha256, cancellationToken))
            {
                await remote.UploadAsync(repository.Local.VersionDirectory(version), incoming, cancellationToken);
                var makeCurrent = repository.Local.ReadCurrent() == version;
                if (await remote.FinishUploadAsync(version, incoming, manifest, row.ManifestSha256, makeCurrent, cancellationToken) is { } problem)
                {
                    discard = true;
                    throw new CheckpointException($"the uploaded copy did not verify on the storage host ({problem}); it was deleted");
                }
                if (makeCurrent) await RecordRemoteCurrentAsync(version, cancellationToken);
            }
            await ledger.UploadVerifiedAsync(version, cancellationToken);
            metrics?.CountUpload(CheckpointMetrics.UploadVerified);
            await repository.RefreshMetricsAsync(cancellationToken);
            LogUploaded(logger, row.Name, remote.Description, row.Bytes);
            return null;
        }
        catch (Exception e) when (e is CheckpointException or IOException or UnauthorizedAccessException)
        {
            var attempts = row.Upload.Attempts + 1;
            var retryAt = DateTimeOffset.UtcNow + backoff.Delay(attempts, Random.Shared.NextDouble());
            await ledger.UploadFailedAsync(version, e.Message, retryAt, discard, cancellationToken);
            metrics?.CountUpload(CheckpointMetrics.UploadFailed);
            await repository.RefreshMetricsAsync(cancellationToken);
            LogUploadFailed(logger, row.Name, attempts, e.Message, retryAt);
            return retryAt;
        }
    }

    /// <summary>Points the host's <c>current</c> at the local one once the host has that version.</summary>
    public async Task SyncCurrentAsync(CancellationToken cancellationToken)
    {
        var ledger = repository.Ledger;
        if (repository.Local.ReadCurrent() is not { } current) return;
        if ((await ledger.GetAsync(current, cancellationToken))?.Upload?.State != UploadState.Verified) return;
        if (await ledger.RemoteCurrentAsync(cancellationToken) == current) return;
        await remote.SetCurrentAsync(current, cancellationToken);
        await RecordRemoteCurrentAsync(current, cancellationToken);
    }

    private async Task RecordRemoteCurrentAsync(int current, CancellationToken cancellationToken)
    {
        var ledger = repository.Ledger;
        var previous = await ledger.RemoteCurrentAsync(cancellationToken);
        await ledger.InTransactionAsync(async (connection, transaction, ct) =>
        {
            await CheckpointLedger.RecordPublicationAsync(connection, transaction, VersionCheck.SshStore, current, previous, "sync", ct);
            return 0;
        }, cancellationToken);
        LogRemoteCurrent(logger, remote.Description, VersionName.Format(current));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Version} is on the storage host {Host}, every checksum verified there ({Bytes} bytes)")]
    private static partial void LogUploaded(ILogger logger, string version, string host, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "upload of {Version} failed (attempt {Attempts}): {Error}; next attempt at {RetryAt:O}; the local copy is kept")]
    private static partial void LogUploadFailed(ILogger logger, string version, int attempts, string error, DateTimeOffset retryAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "current on the storage host {Host} is now {Version}")]
    private static partial void LogRemoteCurrent(ILogger logger, string host, string version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "storage host: {Error}")]
    private static partial void LogHostWorkFailed(ILogger logger, string error);
}
