using ContinualTrainer.Hosting;
using ContinualTrainer.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace ContinualTrainer.Tests.Hosting;

public sealed class WatchdogTests
{
    [Fact]
    public void Watchdog_settings_follow_WATCHDOG_USEC_and_WATCHDOG_PID()
    {
        Assert.Null(WatchdogSettings.FromEnvironment(null, null, 42));
        Assert.Null(WatchdogSettings.FromEnvironment("0", null, 42));
        Assert.Null(WatchdogSettings.FromEnvironment("abc", null, 42));
        Assert.Null(WatchdogSettings.FromEnvironment("2000000", "41", 42));
        var mine = WatchdogSettings.FromEnvironment("2000000", "42", 42);
        Assert.NotNull(mine);
        Assert.Equal(TimeSpan.FromSeconds(2), mine.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(1), mine.PingInterval);
        Assert.NotNull(WatchdogSettings.FromEnvironment("2000000", null, 42));
    }

    [Fact]
    public async Task Pings_while_the_loop_beats_and_stops_when_it_stalls()
    {
        using var dir = new TempDir();
        using var socket = new NotifySocket(dir.Path);
        using var notifier = new SystemdNotifier(socket.Name);
        var health = new LoopHealth();
        var settings = new WatchdogSettings(TimeSpan.FromMilliseconds(400)); // pings every 200 ms
        var service = new WatchdogService(notifier, health, settings, NullLogger<WatchdogService>.Instance);

        using var beating = new CancellationTokenSource();
        var loop = Task.Run(async () =>
        {
            while (!beating.IsCancellationRequested)
            {
                health.Beat();
                await Task.Delay(50);
            }
        });
        await service.StartAsync(CancellationToken.None);
        await Task.Delay(1200);
        var whileHealthy = socket.Count("WATCHDOG=1");
        Assert.True(whileHealthy >= 3, $"expected pings while the loop beats, got {whileHealthy}");

        // The loop hangs: after the timeout has passed, no more pings.
        beating.Cancel();
        await loop;
        await Task.Delay(700);
        var afterStall = socket.Count("WATCHDOG=1");
        await Task.Delay(1000);
        Assert.Equal(afterStall, socket.Count("WATCHDOG=1"));

        // It beats again: pings resume.
        health.Beat();
        var resumed = Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                health.Beat();
                await Task.Delay(50);
            }
        });
        await resumed;
        Assert.True(socket.Count("WATCHDOG=1") > afterStall);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Sends_nothing_when_no_watchdog_was_requested()
    {
        using var dir = new TempDir();
        using var socket = new NotifySocket(dir.Path);
        using var notifier = new SystemdNotifier(socket.Name);
        var service = new WatchdogService(notifier, new LoopHealth(), null, NullLogger<WatchdogService>.Instance);
        await service.StartAsync(CancellationToken.None);
        await Task.Delay(300);
        await service.StopAsync(CancellationToken.None);
        Assert.Empty(socket.Messages);
    }
}
