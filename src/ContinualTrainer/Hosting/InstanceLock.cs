namespace ContinualTrainer.Hosting;

/// <summary>
/// One daemon per state folder: an exclusive advisory lock on <c>STATE/daemon.lock</c> (flock, through
/// .NET's FileShare.None), released by the kernel when the process exits however it exits. The holder's pid
/// is written next to it in <c>daemon.pid</c> for messages (a stale pid file means nothing without the lock).
/// </summary>
public sealed class InstanceLock : IDisposable
{
    private readonly FileStream stream;

    private InstanceLock(FileStream stream) => this.stream = stream;

    /// <summary>Takes the lock, or returns null when another process holds it (its pid in <paramref name="holderPid"/>, when known).</summary>
    public static InstanceLock? TryAcquire(string lockPath, out int? holderPid)
    {
        holderPid = null;
        FileStream stream;
        try
        {
            stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            holderPid = ReadPid(lockPath);
            return null;
        }
        File.WriteAllText(PidPath(lockPath), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new InstanceLock(stream);
    }

    /// <summary>True when a live process holds the lock on <paramref name="lockPath"/>; its pid when known.</summary>
    public static bool IsHeld(string lockPath, out int? holderPid)
    {
        holderPid = null;
        if (!File.Exists(lockPath)) return false;
        try
        {
            using var probe = new FileStream(lockPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return false;
        }
        catch (IOException)
        {
            holderPid = ReadPid(lockPath);
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string PidPath(string lockPath) => Path.ChangeExtension(lockPath, ".pid");

    private static int? ReadPid(string lockPath)
    {
        try
        {
            return int.TryParse(File.ReadAllText(PidPath(lockPath)).Trim(), out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose() => stream.Dispose();
}
