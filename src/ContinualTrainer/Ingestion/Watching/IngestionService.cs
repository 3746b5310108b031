using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using ContinualTrainer.Configuration;
using ContinualTrainer.Hosting;
using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;
using ContinualTrainer.Ingestion.Store;
using ContinualTrainer.State;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ContinualTrainer.Ingestion.Watching;

/// <summary>
/// The daemon's continuous ingestion: watches the configured folders (<see cref="InboxWatcher"/>), rescans them
/// completely at start-up and every <c>Ingestion:RescanSeconds</c> (watchers lose events under load and while the
/// daemon is down), lets written-in-place files settle (<see cref="SettleTracker"/>), and hands each due file to
/// <see cref="FileIngestor"/> — one file at a time, on its own background loop, so the main loop never waits for it.
/// Keeps the status line's conversation count and the stored-conversations gauge current.
/// </summary>
/// <remarks>
/// Stopping cancels between files and between batches of a file; a commit that has started always finishes, so a
/// stop never leaves half a pass. A failure on one file (I/O, a busy database) is logged and the file is retried at
/// the next rescan; it never stops the loop.
/// </remarks>
public sealed partial class IngestionService(
    DaemonOptions options,
    FileIngestor ingestor,
    ConversationStore store,
    IngestionMetrics metrics,
    StatusBoard board,
    TimeProvider time,
    ILogger<IngestionService> logger) : BackgroundService
{
    /// <summary>Pause after a round of passes, so that a log appended line by line is read in a few larger bites.</summary>
    public static readonly TimeSpan CoalesceDelay = TimeSpan.FromMilliseconds(100);

    private readonly ConcurrentDictionary<string, bool> changed = new(StringComparer.Ordinal);
    private readonly Channel<bool> wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private int rescanRequested;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var ingestion = options.Ingestion;
        using var watcher = Watch(ingestion);
        var tracker = new SettleTracker(ingestion.Settle);
        await RefreshStatusAsync(stoppingToken).ConfigureAwait(false);
        var nextRescan = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            if (time.GetUtcNow() >= nextRescan || Interlocked.Exchange(ref rescanRequested, 0) == 1)
            {
                await RescanAsync(tracker, stoppingToken).ConfigureAwait(false);
                nextRescan = time.GetUtcNow() + ingestion.Rescan;
            }
            foreach (var path in changed.Keys.ToList())
            {
                if (changed.TryRemove(path, out var renamedIn)) Track(tracker, path, renamedIn);
            }

            var worked = false;
            foreach (var (path, completeness) in tracker.Due(time.GetUtcNow(), InboxFileSystem.Stat))
            {
                stoppingToken.ThrowIfCancellationRequested();
                if (await IngestAsync(path, completeness, stoppingToken).ConfigureAwait(false)) tracker.Passed(path, completeness);
                else tracker.Forget(path);
                worked = true;
            }
            if (worked)
            {
                await RefreshStatusAsync(stoppingToken).ConfigureAwait(false);
                await Task.Delay(CoalesceDelay, time, stoppingToken).ConfigureAwait(false);
            }
            await WaitAsync(Until(nextRescan, tracker.NextSettle()), stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>The folder watchers; null when they cannot be had (e.g. the inotify limits are reached): the rescans still find every file.</summary>
    private InboxWatcher? Watch(IngestionOptions ingestion)
    {
        try
        {
            return new InboxWatcher(ingestion.Roots, OnChanged, OnWatcherFailed);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            LogWatchUnavailable(logger, e.Message, ingestion.Rescan.TotalSeconds);
            return null;
        }
    }

    private void OnChanged(string path, bool renamedIn)
    {
        changed.AddOrUpdate(path, renamedIn, (_, before) => before || renamedIn);
        wake.Writer.TryWrite(true);
    }

    private void OnWatcherFailed(Exception error)
    {
        LogWatcherFailed(logger, error.Message);
        Interlocked.Exchange(ref rescanRequested, 1);
        wake.Writer.TryWrite(true);
    }

    /// <summary>Adds a changed path to the tracker: a folder (created or moved in) brings all its files.</summary>
    private void Track(SettleTracker tracker, string path, bool renamedIn)
    {
        if (Directory.Exists(path))
        {
            foreach (var file in InboxPaths.EnumerateFiles(path)) Track(tracker, file, renamedIn);
            return;
        }
        if (InboxPaths.Locate(options.Ingestion, path) is { } location && !InboxPaths.IsIgnored(location.RelativePath)) tracker.Touch(path, renamedIn);
    }

    /// <summary>Compares every input file with what is recorded and tracks those that are new, changed, unfinished or due for the archive.</summary>
    private async Task RescanAsync(SettleTracker tracker, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, SourceFileRecord> recorded;
        try
        {
            recorded = (await store.ReadWatchedFilesAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(r => r.Path, StringComparer.Ordinal);
        }
        catch (Exception e) when (e is SqliteException or StateDatabaseException)
        {
            LogRescanFailed(logger, e.Message);
            return;
        }
        var now = time.GetUtcNow();
        foreach (var root in options.Ingestion.Roots)
        {
            foreach (var path in InboxPaths.EnumerateFiles(root.Path))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (InboxFileSystem.Stat(path) is not { IsRegularFile: true } stat) continue;
                if (!recorded.TryGetValue(path, out var row)
                    || !row.Stat.SameVersionAs(stat)
                    || row.State == SourceFileState.Active
                    || (row.State == SourceFileState.Complete && ArchiveIsDue(row, now)))
                    tracker.Touch(path, renamedIn: false);
            }
        }
    }

    private bool ArchiveIsDue(SourceFileRecord row, DateTimeOffset now) =>
        options.Ingestion.ArchiveDir is not null && row.Category == ConversationCategory.AgentLog && now - row.Stat.Mtime >= options.Ingestion.AgentLogIdle;

    /// <summary>One pass over one file; false when it failed (logged) and should wait for the next rescan.</summary>
    private async Task<bool> IngestAsync(string path, FileCompleteness completeness, CancellationToken cancellationToken)
    {
        if (InboxPaths.Locate(options.Ingestion, path) is not { } location) return true;
        var target = new IngestTarget(path, location.Root.Category, location.Format, location.RelativePath, completeness);
        IngestOutcome outcome;
        try
        {
            outcome = await ingestor.IngestAsync(target, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IngestConflictException or SqliteException or StateDatabaseException)
        {
            LogFileFailed(logger, path, e.Message);
            return false;
        }
        Log(outcome);
        return true;
    }

    private void Log(IngestOutcome outcome)
    {
        switch (outcome.Disposition)
        {
            case IngestDisposition.Taken:
                LogTaken(logger, outcome.Path, outcome.Format?.ToName() ?? "?", outcome.NewConversations, outcome.UpdatedConversations, outcome.UnchangedConversations, outcome.LinesSkipped);
                foreach (var line in outcome.FirstSkippedLines.Take(3)) LogSkipped(logger, outcome.Path, line.LineNumber, line.Reason);
                break;
            case IngestDisposition.Quarantined when outcome.Reason is not null:
                LogQuarantined(logger, outcome.Path, outcome.Reason);
                break;
            case IngestDisposition.Duplicate when outcome.Reason is not null:
                LogDuplicate(logger, outcome.Path, outcome.Reason);
                break;
        }
        if (outcome.MovedFrom is { } from) LogMovedFrom(logger, outcome.Path, from);
        if (outcome.MovedTo is { } to) LogMovedTo(logger, outcome.Path, to);
    }

    private async Task RefreshStatusAsync(CancellationToken cancellationToken)
    {
        try
        {
            var counts = await store.CountByCategoryAsync(cancellationToken).ConfigureAwait(false);
            foreach (var (category, count) in counts) metrics.SetStored(category, count);
            board.SetFact("conversations", Count(counts.Values.Sum(), "conversation", "conversations"));
            var quarantined = await store.CountFilesAsync(SourceFileState.Quarantined, cancellationToken).ConfigureAwait(false);
            board.SetFact("quarantined", quarantined == 0 ? null : Count(quarantined, "file quarantined", "files quarantined"));
        }
        catch (Exception e) when (e is SqliteException or StateDatabaseException)
        {
            LogRescanFailed(logger, e.Message);
        }
    }

    private static string Count(long count, string singular, string plural) =>
        $"{count.ToString("N0", CultureInfo.InvariantCulture)} {(count == 1 ? singular : plural)}";

    private TimeSpan Until(DateTimeOffset nextRescan, DateTimeOffset? nextSettle)
    {
        var next = nextSettle is { } settle && settle < nextRescan ? settle : nextRescan;
        var delay = next - time.GetUtcNow();
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
    }

    private async Task WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        if (delay <= TimeSpan.Zero) return;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(delay);
        try
        {
            await wake.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The delay passed without a change.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "took {Path} ({Format}): {New} new, {Updated} changed, {Unchanged} unchanged conversations; {Skipped} lines skipped")]
    private static partial void LogTaken(ILogger logger, string path, string format, int @new, int updated, int unchanged, int skipped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path}: line {Line} skipped: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string path, long line, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "quarantined {Path}: {Reason}")]
    private static partial void LogQuarantined(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Path} adds nothing: {Reason}")]
    private static partial void LogDuplicate(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Path} is {From}, moved: not read again")]
    private static partial void LogMovedFrom(ILogger logger, string path, string from);

    [LoggerMessage(Level = LogLevel.Information, Message = "moved {Path} to {Destination}")]
    private static partial void LogMovedTo(ILogger logger, string path, string destination);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path}: not ingested this time, retried at the next rescan: {Error}")]
    private static partial void LogFileFailed(ILogger logger, string path, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "cannot watch the inbox folders ({Error}); new files are found by the rescan every {Seconds} s")]
    private static partial void LogWatchUnavailable(ILogger logger, string error, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "folder watcher lost events ({Error}); rescanning")]
    private static partial void LogWatcherFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ingestion bookkeeping unavailable, retrying later: {Error}")]
    private static partial void LogRescanFailed(ILogger logger, string error);
}
