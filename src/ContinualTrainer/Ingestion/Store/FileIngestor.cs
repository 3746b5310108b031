using ContinualTrainer.Configuration;
using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;
using ContinualTrainer.State;

namespace ContinualTrainer.Ingestion.Store;

/// <summary>
/// Reads one input file into canonical conversations in the state database, exactly once: each batch of a pass
/// commits the conversations it produced together with the file's new offset, hashes and skip counts in one
/// transaction, so a process killed at any moment either committed a batch or did not, and the next pass resumes
/// at the committed offset.
/// </summary>
/// <remarks>
/// <para>Identity. Before resuming, the stored (device, inode) must match, the file must not have shrunk below the
/// offset, the SHA-256 of its first 4 KiB read must match, and — once per process, or whenever the cached running hash
/// does not match — the SHA-256 of every byte read so far. Otherwise the file was truncated or replaced and is read
/// again from byte 0; conversations are upserted by key, so what it already produced is not duplicated, and
/// conversations that the new version no longer contains are kept (they were already learned from).</para>
/// <para>Keys. Conversations are keyed as the parsers key them (session id; <c>{file}#L{line}</c>, <c>{file}#{index}</c>)
/// with <c>{file}</c> the file's source name: its absolute path when first seen. A file that replaces the one recorded
/// at its path (rewritten, or deleted and dropped again) is upserted under the same keys: changed conversations get a
/// new revision, vanished ones are kept. A new file at a path whose earlier file was archived, quarantined or moved
/// away is a different file and gets the source name <c>{path}@2</c> (<c>@3</c>, ...).</para>
/// <para>Moves. A file at a new path whose inode is recorded for a path that no longer holds it, and whose bytes up to
/// the recorded offset hash the same, is the recorded file moved: its row follows it (keeping its source name and
/// category) and nothing is read again. A new, complete file whose bytes equal a complete file of the same category
/// ingested before is recorded as its duplicate and adds nothing.</para>
/// <para>Agent logs. Events are merged into their session's stored conversation with
/// <see cref="AgentLogSessionBuilder.Extend"/>; every event's key (its uuid, else a hash of its timestamp and messages)
/// is recorded per session, so an event read twice (a re-read, a copy of the log) is never appended twice.</para>
/// <para>Batches. Line-oriented files are read in batches of about <c>batchBytes</c>, each its own transaction, with
/// cancellation honoured between batches; a started commit always finishes. Whole-file layouts are one batch.</para>
/// <para>Concurrency. The commit re-reads the row inside the write transaction and rolls back when another ingester
/// committed meanwhile (its <see cref="SourceFileRecord.Passes"/> moved on); the call then plans again from the stored
/// state. Calls for different files may run in parallel on one instance.</para>
/// <para>Inputs are only ever read. The single exception: with <c>Ingestion:QuarantineDir</c> / <c>Ingestion:ArchiveDir</c>
/// set, quarantined and finished files are moved there after their commit.</para>
/// </remarks>
public sealed class FileIngestor : IDisposable
{
    /// <summary>Bytes of a line-oriented file parsed and committed per transaction.</summary>
    public const int DefaultBatchBytes = 8 << 20;

    /// <summary>Skipped lines kept per file in <c>skipped_lines</c> (all are counted).</summary>
    public const int MaxSkippedLinesRecorded = 100;

    /// <summary>Skipped lines listed per <see cref="IngestOutcome"/> (all are counted).</summary>
    public const int MaxSkippedLinesReported = 100;

    private const int MaxAttempts = 20;

    private readonly StateDatabase database;
    private readonly IngestionOptions options;
    private readonly IngestionMetrics metrics;
    private readonly ConversationChangeSignal changes;
    private readonly TimeProvider time;
    private readonly long batchBytes;
    private readonly FormatDetector detector;
    private readonly IReadOnlyDictionary<ConversationFormat, IConversationParser> parsers;
    private readonly PrefixHashCache hashes = new();

    public FileIngestor(
        StateDatabase database, IngestionOptions options, IngestionMetrics metrics, ConversationChangeSignal changes, TimeProvider time,
        int batchBytes = DefaultBatchBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchBytes);
        this.database = database;
        this.options = options;
        this.metrics = metrics;
        this.changes = changes;
        this.time = time;
        this.batchBytes = batchBytes;
        detector = new FormatDetector(options.Limits, options.Text);
        parsers = Enum.GetValues<ConversationFormat>().ToDictionary(f => f, f => ConversationParsers.Create(f, options.Limits, options.Text));
    }

    /// <summary>
    /// Takes whatever is new in <paramref name="target"/> and commits it. Throws <see cref="OperationCanceledException"/>
    /// between batches when cancelled (what was committed stays), <see cref="IOException"/> when the file cannot be read
    /// part-way, and <see cref="IngestConflictException"/> when competing ingesters keep committing the same file.
    /// </summary>
    public async Task<IngestOutcome> IngestAsync(IngestTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!Path.IsPathFullyQualified(target.Path)) throw new ArgumentException($"{target.Path}: the path must be absolute", nameof(target));
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return await AttemptAsync(target, cancellationToken).ConfigureAwait(false);
            }
            catch (IngestConflictException) when (attempt < MaxAttempts)
            {
                // Another ingester committed this file meanwhile: let it get ahead, then plan again from what it stored.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 50)), time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public void Dispose() => hashes.Dispose();

    private async Task<IngestOutcome> AttemptAsync(IngestTarget target, CancellationToken cancellationToken)
    {
        (FileStream Stream, FileStat Stat)? opened;
        try
        {
            opened = InboxFileSystem.OpenForRead(target.Path);
        }
        catch (IOException e)
        {
            return await UnreadableAsync(target, e.Message, cancellationToken).ConfigureAwait(false);
        }
        if (opened is not { } open) return new IngestOutcome(target.Path, IngestDisposition.Gone);
        await using var stream = open.Stream;
        using var pass = new FilePass(target, stream, open.Stat);
        return await IngestOpenAsync(pass, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IngestOutcome> IngestOpenAsync(FilePass pass, CancellationToken cancellationToken)
    {
        var target = pass.Target;
        var stat = pass.Stat;
        pass.Row = await ReadAsync(s => s.ReadFileAsync(target.Path, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (pass.Row is null && await FindMovedAsync(pass, cancellationToken).ConfigureAwait(false) is { } moved)
        {
            pass.MovedFrom = moved.Path;
            pass.Row = await CommitMoveAsync(moved, target.Path, cancellationToken).ConfigureAwait(false);
        }
        if (pass.Row is { } known && IsUnchanged(known, stat, target.Completeness))
            return await UnchangedAsync(pass, known, cancellationToken).ConfigureAwait(false);
        if (pass.Row is null) pass.NewSourceName = await FreeSourceNameAsync(target.Path, cancellationToken).ConfigureAwait(false);

        if (pass.Row is { } row)
        {
            pass.Restart = row.State is SourceFileState.Quarantined or SourceFileState.Duplicate || !ResumesCleanly(pass, row);
            pass.Offset = pass.Restart ? 0 : row.ReadOffset;
            pass.NextLine = pass.Restart ? 1 : row.NextLine;
        }
        if (pass.Restart || pass.Prefix is null)
        {
            pass.Prefix?.Dispose();
            pass.Prefix = PrefixHash.Of(pass.Stream.SafeFileHandle, 0);
        }

        var category = pass.Row?.Category ?? target.Category;
        var format = target.Format ?? (pass.Restart ? null : pass.Row?.Format);
        pass.Category = category;
        pass.Format = format;
        if (stat.Size > options.Limits.MaxFileBytes)
        {
            var reason = $"file is {stat.Size} bytes, more than the limit of {options.Limits.MaxFileBytes} (Ingestion:MaxFileBytes)";
            return await QuarantineAsync(pass, format, reason, [], cancellationToken).ConfigureAwait(false);
        }
        if (stat.Size == 0) return Outcome(pass, IngestDisposition.Waiting) with { Reason = "empty: nothing written yet" };
        if (format is null)
        {
            // Judged as complete only when the parser would be (an agent log's unterminated first line is not yet a line).
            var detection = detector.Detect(new FileWindowStream(pass.Stream, stat.Size), IsComplete(pass));
            if (detection.Rejection is { } rejection) return await QuarantineAsync(pass, null, rejection.Reason, [], cancellationToken).ConfigureAwait(false);
            if (detection.Format is not { } detected) return Outcome(pass, IngestDisposition.Waiting) with { Reason = "its format cannot be told yet: no complete line" };
            format = detected;
        }
        pass.Format = format;
        pass.Category = category ?? (format == ConversationFormat.AgentLog ? ConversationCategory.AgentLog : ConversationCategory.Transcript);
        pass.Complete = IsComplete(pass);

        if (pass.Offset == 0 && pass.Complete && (pass.Row is null || pass.Restart))
        {
            var whole = Hashes.Prefix(pass.Stream.SafeFileHandle, stat.Size);
            var copy = await ReadAsync(s => s.FindCompleteCopyAsync(pass.StoreCategory, whole, stat.Size, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (copy is not null && copy.Id != pass.Row?.Id) return await CommitDuplicateAsync(pass, copy, whole, cancellationToken).ConfigureAwait(false);
        }
        return await ReadBatchesAsync(pass, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <paramref name="path"/> itself, unless conversations were already keyed by it for another file (one archived, moved or
    /// quarantined away from this path): then <c>{path}@2</c>, <c>@3</c>, ... so the new file's conversations never
    /// overwrite the earlier file's.
    /// </summary>
    private async Task<string> FreeSourceNameAsync(string path, CancellationToken cancellationToken)
    {
        return await ReadAsync(async s =>
        {
            if (!await s.SourceNameIsUsedAsync(path, cancellationToken)) return path;
            for (var version = 2; ; version++)
            {
                var name = $"{path}@{version}";
                if (!await s.SourceNameIsUsedAsync(name, cancellationToken)) return name;
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsUnchanged(SourceFileRecord row, FileStat stat, FileCompleteness completeness) =>
        row.Stat.SameVersionAs(stat) && (row.State != SourceFileState.Active || completeness == FileCompleteness.Growing);

    /// <summary>
    /// True when the file is still the one recorded, grown or not: same inode, not shorter than what was read, the same
    /// first bytes, and the same bytes up to the offset (checked against the running hash of this process, or read again).
    /// On success the pass owns the running hash at the row's offset.
    /// </summary>
    private bool ResumesCleanly(FilePass pass, SourceFileRecord row)
    {
        var handle = pass.Stream.SafeFileHandle;
        if (row.Stat.Device != pass.Stat.Device || row.Stat.Inode != pass.Stat.Inode || pass.Stat.Size < row.ReadOffset) return false;
        if (Hashes.Head(handle, row.ReadOffset) != row.HeadSha256) return false;
        if (pass.Prefix is { } verified && verified.Length == row.ReadOffset) return true;
        var prefix = hashes.Take(row.Id, row.ReadOffset);
        if (prefix is null || prefix.Current() != row.ContentSha256)
        {
            prefix?.Dispose();
            prefix = PrefixHash.Of(handle, row.ReadOffset);
        }
        if (prefix.Current() != row.ContentSha256)
        {
            prefix.Dispose();
            return false;
        }
        pass.Prefix?.Dispose();
        pass.Prefix = prefix;
        return true;
    }

    /// <summary>A recorded file that this one is, moved here: same inode, gone from its recorded path, same bytes so far.</summary>
    private async Task<SourceFileRecord?> FindMovedAsync(FilePass pass, CancellationToken cancellationToken)
    {
        var candidates = await ReadAsync(s => s.FindByInodeAsync(pass.Stat, pass.Target.Path, cancellationToken), cancellationToken).ConfigureAwait(false);
        foreach (var candidate in candidates)
        {
            if (InboxFileSystem.Stat(candidate.Path) is { } there && there.Device == pass.Stat.Device && there.Inode == pass.Stat.Inode) continue;
            if (pass.Stat.Size < candidate.ReadOffset) continue;
            var prefix = PrefixHash.Of(pass.Stream.SafeFileHandle, candidate.ReadOffset);
            if (prefix.Current() != candidate.ContentSha256)
            {
                prefix.Dispose();
                continue;
            }
            pass.Prefix = prefix;
            return candidate;
        }
        return null;
    }

    /// <summary>Whether the parser may treat the file as finished (see <see cref="FileCompleteness.Settled"/>); a category not decided yet counts as a transcript.</summary>
    private bool IsComplete(FilePass pass) => pass.Target.Completeness switch
    {
        FileCompleteness.Growing => false,
        FileCompleteness.Finished => true,
        _ => pass.Category != ConversationCategory.AgentLog
            || EndsWithNewline(pass)
            || time.GetUtcNow() - pass.Stat.Mtime >= options.AgentLogIdle,
    };

    private static bool EndsWithNewline(FilePass pass)
    {
        Span<byte> last = stackalloc byte[1];
        return RandomAccess.Read(pass.Stream.SafeFileHandle, last, pass.Stat.Size - 1) == 1 && last[0] == (byte)'\n';
    }

    private async Task<IngestOutcome> ReadBatchesAsync(FilePass pass, CancellationToken cancellationToken)
    {
        var parser = parsers[pass.StoreFormat];
        var window = batchBytes;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var end = pass.Stat.Size - pass.Offset <= window ? pass.Stat.Size : pass.Offset + window;
            var isLast = end == pass.Stat.Size;
            var request = new ParseRequest(pass.SourceName, pass.Complete && isLast, pass.Offset, pass.NextLine);
            using var view = new FileWindowStream(pass.Stream, end);
            var batch = BatchRecords.Read(parser is AgentLogParser agentLog ? agentLog.ReadEvents(view, request) : parser.Parse(view, request));
            if (!isLast && (batch.Quarantine is not null || batch.Completed!.EndOffset == pass.Offset))
            {
                // A line longer than the batch, a whole-file layout, or a verdict about the whole file: read the rest at once.
                window = long.MaxValue;
                continue;
            }
            if (batch.Quarantine is { } quarantine)
                return await QuarantineAsync(pass, pass.StoreFormat, quarantine.Reason, batch.Skipped, cancellationToken).ConfigureAwait(false);

            var completed = batch.Completed!;
            var state = isLast && pass.Complete ? SourceFileState.Complete : SourceFileState.Active;
            var nothingNew = completed.EndOffset == pass.Offset && !batch.HasRecords && !pass.Restart;
            if (nothingNew && (pass.Row is null || (pass.Row.State == state && pass.Row.Stat.SameVersionAs(pass.Stat)))) break;
            await CommitBatchAsync(pass, batch, completed, state, cancellationToken).ConfigureAwait(false);
            if (isLast) break;
        }

        var row = pass.Row;
        if (row is { State: SourceFileState.Active } && pass.Prefix is { } prefix && prefix.Length == row.ReadOffset)
        {
            hashes.Return(row.Id, prefix);
            pass.Prefix = null;
        }
        var disposition = pass.BytesRead > 0 || pass.New + pass.Updated + pass.Unchanged + pass.Skipped > 0
            ? IngestDisposition.Taken
            : pass.Offset < pass.Stat.Size || row is null ? IngestDisposition.Waiting : IngestDisposition.Unchanged;
        var outcome = Outcome(pass, disposition);
        if (disposition == IngestDisposition.Waiting) outcome = outcome with { Reason = "still being written: nothing complete to read yet" };
        if (row is { State: SourceFileState.Complete } && pass.Target.RelativeName is { } name && IsArchivable(row))
            outcome = await ArchiveAsync(row, name, outcome, cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    private async Task CommitBatchAsync(FilePass pass, BatchRecords batch, ParseCompleted completed, SourceFileState state, CancellationToken cancellationToken)
    {
        var handle = pass.Stream.SafeFileHandle;
        var end = completed.EndOffset;
        pass.Prefix!.ExtendTo(handle, end);
        var contentSha256 = pass.Prefix.Current();
        var headSha256 = Hashes.Head(handle, end);
        var startedAtZero = pass.Offset == 0;
        var now = time.GetUtcNow();

        var (row, counts, skipped) = await database.InTransactionAsync(async (connection, transaction, _) =>
        {
            // A started commit finishes even when the daemon is stopping: never half a pass.
            var ct = CancellationToken.None;
            await using var session = new StoreSession(connection, transaction);
            var current = await GuardAsync(session, pass, ct);
            var fileId = current?.Id ?? await session.InsertFileAsync(pass.Target.Path, pass.SourceName, pass.StoreCategory, pass.Stat, now, ct);
            var restart = pass.Restart || current is null;
            if (pass.Restart) await session.DeleteSkippedLinesAsync(fileId, ct);

            var skippedLines = new List<SkippedLine>(batch.Skipped);
            var counts = pass.StoreFormat == ConversationFormat.AgentLog
                ? await StoreSessionsAsync(session, pass, batch.Events, fileId, skippedLines, now, ct)
                : await StoreConversationsAsync(session, pass, batch.Conversations, fileId, now, ct);
            var skippedBefore = restart ? 0 : current!.LinesSkipped;
            foreach (var line in skippedLines.Take((int)Math.Max(0, MaxSkippedLinesRecorded - skippedBefore)))
                await session.InsertSkippedLineAsync(fileId, line, ct);

            var row = new SourceFileRecord(
                Id: fileId,
                Path: pass.Target.Path,
                SourceName: pass.SourceName,
                Category: pass.StoreCategory,
                Format: pass.StoreFormat,
                Stat: pass.Stat,
                ReadOffset: end,
                NextLine: completed.NextLineNumber,
                HeadSha256: headSha256,
                ContentSha256: contentSha256,
                State: state,
                Reason: null,
                DuplicateOf: null,
                LinesSkipped: skippedBefore + skippedLines.Count,
                Conversations: (current?.Conversations ?? 0) + counts.New + counts.Updated,
                Passes: (current?.Passes ?? 0) + 1,
                FirstSeenUtc: current?.FirstSeenUtc ?? now,
                LastIngestedUtc: end > pass.Offset || counts.New + counts.Updated > 0 ? now : current?.LastIngestedUtc,
                StateChangedUtc: current is not null && current.State == state ? current.StateChangedUtc : now);
            await session.UpdateFileAsync(row, ct);
            return (row, counts, skippedLines);
        }, CancellationToken.None).ConfigureAwait(false);

        pass.Row = row;
        pass.Restart = false;
        pass.BytesRead += end - pass.Offset;
        pass.Offset = end;
        pass.NextLine = completed.NextLineNumber;
        pass.New += counts.New;
        pass.Updated += counts.Updated;
        pass.Unchanged += counts.Unchanged;
        pass.Skipped += skipped.Count;
        pass.FirstSkipped.AddRange(skipped.Take(MaxSkippedLinesReported - pass.FirstSkipped.Count));

        if (startedAtZero && end > 0) metrics.FileTaken(pass.StoreCategory);
        metrics.ConversationsStored(pass.StoreCategory, pass.StoreFormat, counts.New, counts.Updated);
        metrics.LinesSkipped(skipped.Count);
        if (counts.HighestSeq > 0) changes.Publish(counts.HighestSeq);
    }

    /// <summary>The stored row, re-read under the write lock; throws when another ingester committed this file since the pass read it.</summary>
    private static async Task<SourceFileRecord?> GuardAsync(StoreSession session, FilePass pass, CancellationToken cancellationToken)
    {
        if (pass.Row is not { } expected)
        {
            if (await session.ReadFileAsync(pass.Target.Path, cancellationToken) is not null)
                throw new IngestConflictException($"{pass.Target.Path}: recorded by another ingester meanwhile");
            return null;
        }
        var current = await session.ReadFileAsync(expected.Id, cancellationToken);
        if (current is null || current.Passes != expected.Passes || current.Path != expected.Path)
            throw new IngestConflictException($"{pass.Target.Path}: another ingester committed a pass of this file meanwhile");
        return current;
    }

    private async Task<StoreCounts> StoreConversationsAsync(
        StoreSession session, FilePass pass, IReadOnlyList<CanonicalConversation> conversations, long fileId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var counts = new StoreCounts();
        foreach (var parsed in conversations)
        {
            var conversation = parsed with { Category = pass.StoreCategory };
            var stored = await session.ReadConversationHeadAsync(conversation.Category, conversation.ConversationKey, cancellationToken);
            await UpsertAsync(session, pass, conversation, stored?.Id, stored?.ContentSha256, fileId, now, counts, cancellationToken);
        }
        return counts;
    }

    private async Task<StoreCounts> StoreSessionsAsync(
        StoreSession session, FilePass pass, IReadOnlyList<AgentLogEvent> events, long fileId, List<SkippedLine> skipped, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var counts = new StoreCounts();
        foreach (var group in events.GroupBy(e => e.SessionId, StringComparer.Ordinal))
        {
            var fresh = new List<AgentLogEvent>();
            foreach (var e in group)
            {
                if (await session.InsertEventKeyAsync(pass.StoreCategory, group.Key, EventKey(e), cancellationToken)) fresh.Add(e);
            }
            if (fresh.Count == 0) continue;
            var stored = await session.ReadConversationAsync(pass.StoreCategory, group.Key, cancellationToken);
            // The builder extends conversations of its own category; the stored one carries the folder's.
            var existing = stored is null ? null : stored.ToCanonical() with { Category = ConversationCategory.AgentLog };
            var result = AgentLogSessionBuilder.Extend(existing, fresh, options.Limits);
            skipped.AddRange(result.Dropped);
            if (result.Conversation is null) continue;
            var conversation = result.Conversation with { Category = pass.StoreCategory };
            await UpsertAsync(session, pass, conversation, stored?.Id, stored?.ContentSha256, fileId, now, counts, cancellationToken);
        }
        return counts;
    }

    private static async Task UpsertAsync(
        StoreSession session, FilePass pass, CanonicalConversation conversation, long? storedId, string? storedSha256, long fileId, DateTimeOffset now,
        StoreCounts counts, CancellationToken cancellationToken)
    {
        var json = CanonicalJson.SerializeMessages(conversation.Messages);
        var sha256 = Hashes.Of(json);
        if (storedId is not null && storedSha256 == sha256)
        {
            counts.Unchanged++;
            return;
        }
        var seq = await session.NextSeqAsync(cancellationToken);
        if (storedId is { } existing)
        {
            await session.UpdateConversationAsync(existing, conversation, pass.StoreFormat, json, sha256, seq, now, cancellationToken);
            counts.Updated++;
        }
        else
        {
            await session.InsertConversationAsync(conversation, pass.StoreFormat, json, sha256, fileId, seq, now, cancellationToken);
            counts.New++;
        }
        counts.HighestSeq = seq;
    }

    /// <summary>What identifies an event within its session: its uuid, else a hash of its timestamp and messages.</summary>
    private static string EventKey(AgentLogEvent e)
    {
        if (e.Uuid is { } uuid) return "uuid:" + uuid;
        var stamp = e.Timestamp?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "";
        return "sha256:" + Hashes.Of([.. System.Text.Encoding.UTF8.GetBytes(stamp + "\n"), .. CanonicalJson.SerializeMessages(e.Messages)]);
    }

    private async Task<IngestOutcome> UnchangedAsync(FilePass pass, SourceFileRecord row, CancellationToken cancellationToken)
    {
        pass.Category = row.Category;
        pass.Format = row.Format;
        var outcome = Outcome(pass, row.State switch
        {
            SourceFileState.Quarantined => IngestDisposition.Quarantined,
            SourceFileState.Duplicate => IngestDisposition.Duplicate,
            _ => IngestDisposition.Unchanged,
        }) with
        {
            Reason = row.Reason,
        };
        return row.State == SourceFileState.Complete && pass.Target.RelativeName is { } name && IsArchivable(row)
            ? await ArchiveAsync(row, name, outcome, cancellationToken).ConfigureAwait(false)
            : outcome;
    }

    private async Task<IngestOutcome> QuarantineAsync(
        FilePass pass, ConversationFormat? format, string reason, IReadOnlyList<SkippedLine> skipped, CancellationToken cancellationToken)
    {
        pass.Category ??= ConversationCategory.Transcript;
        var row = await CommitQuarantineAsync(pass.Target, pass.SourceName, pass.Row, pass.Stat, pass.StoreCategory, format, reason, skipped, cancellationToken).ConfigureAwait(false);
        pass.Row = row;
        pass.Skipped += skipped.Count;
        pass.FirstSkipped.AddRange(skipped.Take(MaxSkippedLinesReported));
        var outcome = Outcome(pass, IngestDisposition.Quarantined) with { Reason = reason, Format = format };
        return options.QuarantineDir is { } folder && pass.Target.RelativeName is { } name
            ? await MoveAwayAsync(row, folder, SourceFileState.Quarantined, name, outcome, cancellationToken).ConfigureAwait(false)
            : outcome;
    }

    private async Task<IngestOutcome> UnreadableAsync(IngestTarget target, string error, CancellationToken cancellationToken)
    {
        if (InboxFileSystem.Stat(target.Path) is not { IsRegularFile: true } stat) return new IngestOutcome(target.Path, IngestDisposition.Gone);
        var existing = await ReadAsync(s => s.ReadFileAsync(target.Path, cancellationToken), cancellationToken).ConfigureAwait(false);
        var reason = $"cannot be read: {error}";
        if (existing is { State: SourceFileState.Quarantined } && existing.Stat.SameVersionAs(stat))
            return new IngestOutcome(target.Path, IngestDisposition.Quarantined) { Reason = existing.Reason, Category = existing.Category };
        var category = existing?.Category ?? target.Category ?? ConversationCategory.Transcript;
        var sourceName = existing?.SourceName ?? await FreeSourceNameAsync(target.Path, cancellationToken).ConfigureAwait(false);
        var row = await CommitQuarantineAsync(target, sourceName, existing, stat, category, existing?.Format, reason, [], cancellationToken).ConfigureAwait(false);
        var outcome = new IngestOutcome(target.Path, IngestDisposition.Quarantined) { Reason = reason, Category = category };
        return options.QuarantineDir is { } folder && target.RelativeName is { } name
            ? await MoveAwayAsync(row, folder, SourceFileState.Quarantined, name, outcome, cancellationToken).ConfigureAwait(false)
            : outcome;
    }

    private async Task<SourceFileRecord> CommitQuarantineAsync(
        IngestTarget target, string sourceName, SourceFileRecord? expected, FileStat stat, ConversationCategory category, ConversationFormat? format, string reason,
        IReadOnlyList<SkippedLine> skipped, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var row = await database.InTransactionAsync(async (connection, transaction, _) =>
        {
            var ct = CancellationToken.None;
            await using var session = new StoreSession(connection, transaction);
            SourceFileRecord? current;
            if (expected is null)
            {
                if (await session.ReadFileAsync(target.Path, ct) is not null) throw new IngestConflictException($"{target.Path}: recorded by another ingester meanwhile");
                current = null;
            }
            else
            {
                current = await session.ReadFileAsync(expected.Id, ct);
                if (current is null || current.Passes != expected.Passes) throw new IngestConflictException($"{target.Path}: another ingester committed a pass of this file meanwhile");
            }
            var fileId = current?.Id ?? await session.InsertFileAsync(target.Path, sourceName, category, stat, now, ct);
            await session.DeleteSkippedLinesAsync(fileId, ct);
            foreach (var line in skipped.Take(MaxSkippedLinesRecorded)) await session.InsertSkippedLineAsync(fileId, line, ct);
            var row = new SourceFileRecord(
                fileId, target.Path, current?.SourceName ?? sourceName, category, format ?? current?.Format, stat,
                current?.ReadOffset ?? 0, current?.NextLine ?? 1, current?.HeadSha256 ?? Hashes.EmptySha256, current?.ContentSha256 ?? Hashes.EmptySha256,
                SourceFileState.Quarantined, reason, null, skipped.Count, current?.Conversations ?? 0, (current?.Passes ?? 0) + 1,
                current?.FirstSeenUtc ?? now, current?.LastIngestedUtc, now);
            await session.UpdateFileAsync(row, ct);
            return row;
        }, CancellationToken.None).ConfigureAwait(false);
        metrics.FileQuarantined();
        metrics.LinesSkipped(skipped.Count);
        return row;
    }

    private async Task<IngestOutcome> CommitDuplicateAsync(FilePass pass, SourceFileRecord original, string wholeSha256, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var headSha256 = Hashes.Head(pass.Stream.SafeFileHandle, pass.Stat.Size);
        var reason = $"same bytes as {original.Path}";
        pass.Row = await database.InTransactionAsync(async (connection, transaction, _) =>
        {
            var ct = CancellationToken.None;
            await using var session = new StoreSession(connection, transaction);
            var current = await GuardAsync(session, pass, ct);
            var fileId = current?.Id ?? await session.InsertFileAsync(pass.Target.Path, pass.SourceName, pass.StoreCategory, pass.Stat, now, ct);
            await session.DeleteSkippedLinesAsync(fileId, ct);
            var row = new SourceFileRecord(
                fileId, pass.Target.Path, pass.SourceName, pass.StoreCategory, pass.StoreFormat, pass.Stat,
                pass.Stat.Size, 1, headSha256, wholeSha256, SourceFileState.Duplicate, reason, original.Id, 0, current?.Conversations ?? 0,
                (current?.Passes ?? 0) + 1, current?.FirstSeenUtc ?? now, current?.LastIngestedUtc, now);
            await session.UpdateFileAsync(row, ct);
            return row;
        }, CancellationToken.None).ConfigureAwait(false);
        return Outcome(pass, IngestDisposition.Duplicate) with { Reason = reason, Complete = true };
    }

    /// <summary>Records that the file of <paramref name="row"/> now lives at <paramref name="path"/>.</summary>
    private async Task<SourceFileRecord> CommitMoveAsync(SourceFileRecord row, string path, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return await database.InTransactionAsync(async (connection, transaction, _) =>
        {
            await using var session = new StoreSession(connection, transaction);
            var current = await session.ReadFileAsync(row.Id, CancellationToken.None);
            if (current is null || current.Passes != row.Passes || await session.PathIsRecordedAsync(path, CancellationToken.None))
                throw new IngestConflictException($"{path}: another ingester recorded this file meanwhile");
            var moved = current with { Path = path, Passes = current.Passes + 1, StateChangedUtc = now };
            await session.UpdateFileAsync(moved, CancellationToken.None);
            return moved;
        }, cancellationToken).ConfigureAwait(false);
    }

    private bool IsArchivable(SourceFileRecord row) =>
        options.ArchiveDir is not null
        && (row.Category != ConversationCategory.AgentLog || time.GetUtcNow() - row.Stat.Mtime >= options.AgentLogIdle);

    private Task<IngestOutcome> ArchiveAsync(SourceFileRecord row, string relativeName, IngestOutcome outcome, CancellationToken cancellationToken) =>
        MoveAwayAsync(row, options.ArchiveDir!, SourceFileState.Archived, relativeName, outcome, cancellationToken);

    /// <summary>Moves the file to <paramref name="folder"/> (archive or quarantine) and records where it went.</summary>
    private async Task<IngestOutcome> MoveAwayAsync(
        SourceFileRecord row, string folder, SourceFileState state, string relativeName, IngestOutcome outcome, CancellationToken cancellationToken)
    {
        string destination;
        try
        {
            destination = await InboxMoves.MoveAsync(row.Path, folder, relativeName,
                candidate => ReadAsync(s => s.PathIsRecordedAsync(candidate, cancellationToken), cancellationToken)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return outcome with { Reason = $"{outcome.Reason}{(outcome.Reason is null ? "" : "; ")}could not be moved to {folder}: {e.Message}" };
        }
        var now = time.GetUtcNow();
        await database.InTransactionAsync(async (connection, transaction, _) =>
        {
            await using var session = new StoreSession(connection, transaction);
            var current = await session.ReadFileAsync(row.Id, CancellationToken.None) ?? row;
            await session.UpdateFileAsync(current with { Path = destination, State = state, Passes = current.Passes + 1, StateChangedUtc = now }, CancellationToken.None);
            return 0;
        }, CancellationToken.None).ConfigureAwait(false);
        return outcome with { MovedTo = destination };
    }

    private async Task<T> ReadAsync<T>(Func<StoreSession, Task<T>> read, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var session = new StoreSession(connection, null);
        return await read(session).ConfigureAwait(false);
    }

    private static IngestOutcome Outcome(FilePass pass, IngestDisposition disposition) => new(pass.Target.Path, disposition)
    {
        Category = pass.Category,
        Format = pass.Format,
        NewConversations = pass.New,
        UpdatedConversations = pass.Updated,
        UnchangedConversations = pass.Unchanged,
        LinesSkipped = pass.Skipped,
        FirstSkippedLines = pass.FirstSkipped,
        BytesRead = pass.BytesRead,
        MovedFrom = pass.MovedFrom,
        Complete = pass.Row?.State is SourceFileState.Complete or SourceFileState.Archived or SourceFileState.Duplicate,
    };
}
