namespace ContinualTrainer.Ingestion.Store;

/// <summary>
/// "Conversations were committed": raised in-process after every ingestion commit that inserted or changed
/// conversations, with the highest <see cref="StoredConversation.Seq"/> committed. The example layer waits on it and
/// then reads <see cref="ConversationStore.ReadChangedSinceAsync"/>. Commits made by other processes (the
/// <c>ingest</c> verb next to a running daemon) are not signalled: poll <see cref="ConversationStore.CurrentSeqAsync"/>
/// now and then as well.
/// </summary>
public interface IConversationsChanged
{
    /// <summary>The highest seq this process has committed (0 before the first commit).</summary>
    long LatestSeq { get; }

    /// <summary>Completes with <see cref="LatestSeq"/> once it exceeds <paramref name="afterSeq"/> (at once when it already does).</summary>
    Task<long> WaitAsync(long afterSeq, CancellationToken cancellationToken);
}
