namespace ContinualTrainer.Ingestion.Store;

/// <summary>The <see cref="IConversationsChanged"/> of this process: the ingester publishes, any number of waiters wake.</summary>
public sealed class ConversationChangeSignal : IConversationsChanged
{
    private readonly Lock gate = new();
    private long latest;
    private TaskCompletionSource changed = NewSource();

    public long LatestSeq
    {
        get { lock (gate) return latest; }
    }

    /// <summary>Records that conversations up to <paramref name="seq"/> are committed and wakes the waiters.</summary>
    public void Publish(long seq)
    {
        TaskCompletionSource wake;
        lock (gate)
        {
            if (seq <= latest) return;
            latest = seq;
            wake = changed;
            changed = NewSource();
        }
        wake.TrySetResult();
    }

    public async Task<long> WaitAsync(long afterSeq, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task next;
            lock (gate)
            {
                if (latest > afterSeq) return latest;
                next = changed.Task;
            }
            await next.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
