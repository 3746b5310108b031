using System.Diagnostics;
using System.Globalization;

namespace ContinualTrainer.Metrics;

/// <summary>
/// The process's peak resident set size. <see cref="Process.PeakWorkingSet64"/> reads VmHWM from
/// /proc/self/status, which some sandboxed kernels (gVisor and the like) leave out, so it can be 0;
/// then the current working set is the best lower bound we have, and we say so.
/// </summary>
public static class PeakMemory
{
    /// <summary>Peak resident bytes, and whether the figure is a true high-water mark.</summary>
    public static (long Bytes, bool IsHighWaterMark) Read()
    {
        var hwm = ReadStatusKilobytes("VmHWM:");
        if (hwm > 0)
            return (hwm * 1024, true);
        using var process = Process.GetCurrentProcess();
        if (process.PeakWorkingSet64 > 0)
            return (process.PeakWorkingSet64, true);
        var rss = ReadStatusKilobytes("VmRSS:") * 1024;
        return (Math.Max(rss, Math.Max(Environment.WorkingSet, GC.GetTotalMemory(false))), false);
    }

    /// <summary>
    /// Restarts the high-water mark from the current resident size (writing 5 to /proc/self/clear_refs, Linux 4.0+),
    /// so that <see cref="Read"/> afterwards measures one piece of work. False where the kernel does not allow it.
    /// </summary>
    public static bool TryReset()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return ReadStatusKilobytes("VmHWM:") > 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>Peak resident mebibytes (see <see cref="Read"/>).</summary>
    public static double Megabytes() => Read().Bytes / (1024.0 * 1024.0);

    static long ReadStatusKilobytes(string key)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith(key, StringComparison.Ordinal))
                    continue;
                var value = line.AsSpan(key.Length).Trim();
                var space = value.IndexOf(' ');
                if (space > 0)
                    value = value[..space];
                return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb : 0;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return 0;
    }
}
