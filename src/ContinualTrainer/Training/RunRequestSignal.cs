namespace ContinualTrainer.Training;

/// <summary>
/// Wakes the training scheduler when a run request was recorded (<c>POST /api/train</c>), so it claims the
/// request at once instead of at its next poll. Auto-reset, for one waiter: a <see cref="Notify"/> made while
/// nobody waits is kept (at most one) and ends the next <see cref="WaitAsync"/> immediately, so no request is missed
/// between the scheduler's look at the pending requests and its wait.
/// </summary>
public sealed class RunRequestSignal
{
    private readonly Lock gate = new();
    private readonly SemaphoreSlim pending = new(0, 1);

    /// <summary>A run request was recorded: wakes the waiter, or the next one to wait.</summary>
    public void Notify()
    {
        lock (gate)
        {
            if (pending.CurrentCount == 0) pending.Release();
        }
    }

    /// <summary>Completes when <see cref="Notify"/> was called since the previous wait ended (or is called now).</summary>
    public Task WaitAsync(CancellationToken cancellationToken) => pending.WaitAsync(cancellationToken);
}
