using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;
using ContinualTrainer.State;

namespace ContinualTrainer.Ingestion.Store;

/// <summary>
/// Read access to the canonical conversations and the ingestion bookkeeping, for the example layer and for
/// <c>status</c>. Writing is <see cref="FileIngestor"/>'s alone.
/// </summary>
/// <remarks>
/// Change tracking: every insertion of a conversation, and every change of its messages, gives it the next value of
/// one store-wide sequence (<see cref="StoredConversation.Seq"/>), assigned inside the write transaction. Writers are
/// serialised, so a commit never makes visible a seq lower than one already visible: a consumer that remembers the
/// last seq it processed and pages with <see cref="ReadChangedSinceAsync"/> sees every new or changed conversation,
/// in its latest form, exactly once per change (a conversation that changed twice since then appears once, with its
/// newest seq). Re-reading identical messages never moves a seq.
/// </remarks>
public sealed class ConversationStore(StateDatabase database)
{
    /// <summary>Rows <see cref="ReadStatusAsync"/> lists per section.</summary>
    public const int StatusListLength = 10;

    /// <summary>
    /// Up to <paramref name="limit"/> conversations with <c>seq &gt; <paramref name="afterSeq"/></c>, in seq order.
    /// Start with 0; continue with the last returned <see cref="StoredConversation.Seq"/> until the list comes back empty.
    /// </summary>
    public async Task<IReadOnlyList<StoredConversation>> ReadChangedSinceAsync(long afterSeq, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSeq);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return await ReadAsync(s => s.ReadChangedSinceAsync(afterSeq, limit, cancellationToken), cancellationToken);
    }

    /// <summary>The highest seq given out so far (0 when nothing was stored).</summary>
    public Task<long> CurrentSeqAsync(CancellationToken cancellationToken) => ReadAsync(s => s.CurrentSeqAsync(cancellationToken), cancellationToken);

    /// <summary>The conversation stored under <paramref name="key"/> in <paramref name="category"/>, if any.</summary>
    public Task<StoredConversation?> FindAsync(ConversationCategory category, string key, CancellationToken cancellationToken) =>
        ReadAsync(s => s.ReadConversationAsync(category, key, cancellationToken), cancellationToken);

    /// <summary>The skipped lines recorded for a file (the first <see cref="FileIngestor.MaxSkippedLinesRecorded"/>).</summary>
    public Task<IReadOnlyList<SkippedLine>> ReadSkippedLinesAsync(long fileId, CancellationToken cancellationToken) =>
        ReadAsync(s => s.ReadSkippedLinesAsync(fileId, cancellationToken), cancellationToken);

    /// <summary>Every recorded file still in a watched folder (not archived).</summary>
    public Task<IReadOnlyList<SourceFileRecord>> ReadWatchedFilesAsync(CancellationToken cancellationToken) =>
        ReadAsync(s => s.ReadWatchedFilesAsync(cancellationToken), cancellationToken);

    /// <summary>Stored conversations per category.</summary>
    public async Task<IReadOnlyDictionary<ConversationCategory, long>> CountByCategoryAsync(CancellationToken cancellationToken)
    {
        var counts = await ReadAsync(s => s.CountGroupsAsync("SELECT category, count(*) FROM conversations GROUP BY category", cancellationToken), cancellationToken);
        return Enum.GetValues<ConversationCategory>().ToDictionary(c => c, c => counts.GetValueOrDefault(c.ToName()));
    }

    /// <summary>Recorded files in <paramref name="state"/>.</summary>
    public async Task<long> CountFilesAsync(SourceFileState state, CancellationToken cancellationToken)
    {
        var counts = await ReadAsync(s => s.CountGroupsAsync("SELECT state, count(*) FROM source_files GROUP BY state", cancellationToken), cancellationToken);
        return counts.GetValueOrDefault(state.ToName());
    }

    /// <summary>The ingestion summary for <c>status</c>; null when the database predates the ingestion tables.</summary>
    public async Task<IngestionStatus?> ReadStatusAsync(CancellationToken cancellationToken)
    {
        return await ReadAsync(async s =>
        {
            if (!await s.HasTableAsync("source_files", cancellationToken)) return null;
            var conversations = await s.CountGroupsAsync("SELECT category, count(*) FROM conversations GROUP BY category", cancellationToken);
            var files = await s.CountGroupsAsync("SELECT state, count(*) FROM source_files GROUP BY state", cancellationToken);
            return new IngestionStatus
            {
                Conversations = Enum.GetValues<ConversationCategory>().ToDictionary(c => c.ToName(), c => conversations.GetValueOrDefault(c.ToName())),
                Files = Enum.GetValues<SourceFileState>().ToDictionary(st => st.ToName(), st => files.GetValueOrDefault(st.ToName())),
                LinesSkipped = await s.SumLinesSkippedAsync(cancellationToken),
                LatestSeq = await s.CurrentSeqAsync(cancellationToken),
                LastFilesTaken = await s.ReadLastTakenAsync(StatusListLength, cancellationToken),
                Quarantined = await s.ReadQuarantinedAsync(StatusListLength, cancellationToken),
            };
        }, cancellationToken);
    }

    private async Task<T> ReadAsync<T>(Func<StoreSession, Task<T>> read, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var session = new StoreSession(connection, null);
        return await read(session);
    }
}
