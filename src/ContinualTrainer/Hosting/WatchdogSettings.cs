using System.Globalization;

namespace ContinualTrainer.Hosting;

/// <summary>
/// The systemd watchdog as the service manager asked for it: <c>$WATCHDOG_USEC</c> (the timeout) and
/// <c>$WATCHDOG_PID</c> (the process it applies to; when set to another pid the watchdog is not ours).
/// </summary>
public sealed record WatchdogSettings(TimeSpan Timeout)
{
    /// <summary>Pings go out every half of the timeout, as sd_watchdog_enabled(3) advises.</summary>
    public TimeSpan PingInterval => Timeout / 2;

    /// <summary>Null when no watchdog is requested for this process.</summary>
    public static WatchdogSettings? FromEnvironment(string? watchdogUsec, string? watchdogPid, int currentPid)
    {
        if (string.IsNullOrEmpty(watchdogUsec)) return null;
        if (!ulong.TryParse(watchdogUsec, NumberStyles.None, CultureInfo.InvariantCulture, out var usec) || usec == 0) return null;
        if (!string.IsNullOrEmpty(watchdogPid)
            && (!int.TryParse(watchdogPid, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid != currentPid)) return null;
        return new WatchdogSettings(TimeSpan.FromMicroseconds(usec));
    }

    public static WatchdogSettings? FromEnvironment() =>
        FromEnvironment(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), Environment.GetEnvironmentVariable("WATCHDOG_PID"), Environment.ProcessId);
}
