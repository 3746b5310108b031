using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ContinualTrainer.Hosting;

/// <summary>
/// Sends <c>WATCHDOG=1</c> every half of <c>$WATCHDOG_USEC</c> while the main loop is healthy (it beat within
/// the watchdog timeout). When the loop stalls the pings stop, and systemd restarts the daemon.
/// </summary>
public sealed partial class WatchdogService(SystemdNotifier notifier, LoopHealth health, WatchdogSettings? settings, ILogger<WatchdogService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (settings is null || !notifier.IsEnabled) return;
        LogEnabled(logger, settings.Timeout.TotalSeconds);
        using var timer = new PeriodicTimer(settings.PingInterval);
        var stalled = false;
        do
        {
            if (health.IsHealthy(settings.Timeout))
            {
                notifier.Notify("WATCHDOG=1");
                if (stalled) LogRecovered(logger);
                stalled = false;
            }
            else if (!stalled)
            {
                stalled = true;
                LogStalled(logger, health.SinceLastBeat.TotalSeconds);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "systemd watchdog enabled: timeout {TimeoutSeconds} s, pinging at half of it while the main loop is healthy")]
    private static partial void LogEnabled(ILogger logger, double timeoutSeconds);

    [LoggerMessage(Level = LogLevel.Critical, Message = "main loop silent for {Seconds:F1} s: watchdog pings stopped, systemd will restart the daemon")]
    private static partial void LogStalled(ILogger logger, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "main loop beating again: watchdog pings resumed")]
    private static partial void LogRecovered(ILogger logger);
}
