using System.Runtime.InteropServices;

namespace ContinualTrainer.Engine.IO;

/// <summary>
/// Flushes a directory's entries to disk (fsync on the directory), so that a rename into it survives a power
/// loss. Linux only; a no-op elsewhere.
/// </summary>
internal static partial class DirectorySync
{
    private const int ORdOnly = 0;
    private const int EInval = 22;

    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = Open(directory, ORdOnly);
        if (fd < 0)
            throw new IOException($"cannot open directory '{directory}' to flush it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            // EINVAL: the file system cannot sync directories; the rename is as durable as it can be made.
            if (Fsync(fd) != 0 && Marshal.GetLastPInvokeError() is var errno && errno != EInval)
                throw new IOException($"cannot flush directory '{directory}' to disk (errno {errno})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
