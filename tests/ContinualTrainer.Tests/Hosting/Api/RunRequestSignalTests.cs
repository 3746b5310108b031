using ContinualTrainer.Training;

namespace ContinualTrainer.Tests.Hosting.Api;

/// <summary>The signal <c>POST /api/train</c> gives the scheduler: auto-reset, nothing lost between a look and a wait.</summary>
public sealed class RunRequestSignalTests
{
    [Fact]
    public async Task A_waiter_wakes_when_notified()
    {
        var signal = new RunRequestSignal();
        var wait = signal.WaitAsync(CancellationToken.None);
        Assert.False(wait.IsCompleted);
        signal.Notify();
        await wait.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void A_notification_while_nobody_waits_is_kept_for_the_next_wait_once()
    {
        var signal = new RunRequestSignal();
        signal.Notify();
        signal.Notify();
        Assert.True(signal.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
        Assert.False(signal.WaitAsync(CancellationToken.None).IsCompleted);
    }

    [Fact]
    public async Task A_wait_ends_when_cancelled()
    {
        var signal = new RunRequestSignal();
        using var cancel = new CancellationTokenSource();
        var wait = signal.WaitAsync(cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
    }
}
