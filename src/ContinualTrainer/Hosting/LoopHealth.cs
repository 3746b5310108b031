using System.Diagnostics;

namespace ContinualTrainer.Hosting;

/// <summary>
/// Heartbeat of the daemon's main loop. The loop calls <see cref="Beat"/> on every turn; the watchdog pings
/// systemd only while the last beat is recent, so a hung loop gets the daemon restarted.
/// </summary>
public sealed class LoopHealth
{
    private long lastBeat = Stopwatch.GetTimestamp();

    public void Beat() => Interlocked.Exchange(ref lastBeat, Stopwatch.GetTimestamp());

    public TimeSpan SinceLastBeat => Stopwatch.GetElapsedTime(Interlocked.Read(ref lastBeat));

    public bool IsHealthy(TimeSpan maxSilence) => SinceLastBeat <= maxSilence;
}
