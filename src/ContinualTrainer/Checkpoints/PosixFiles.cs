using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ContinualTrainer.Checkpoints;

/// <summary>
/// The two file operations .NET does not offer: fsync on a directory (so a rename into it survives a power loss)
/// and opening a file for reading without blocking when it is a FIFO (so a planted pipe cannot hang a
/// verification). Linux semantics; elsewhere the flush is a no-op and files open normally.
/// </summary>
internal static partial class PosixFiles
{
    private const int ORdOnly = 0;
    private const int ONonBlock = 0x800;   // 04000 on x86-64 and arm64
    private const int OCloExec = 0x80000;  // 02000000 on x86-64 and arm64
    private const int EInval = 22;

    /// <summary>Flushes <paramref name="directory"/>'s entries to disk. File systems that cannot (EINVAL) are accepted.</summary>
    public static void FlushDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = Open(directory, ORdOnly | OCloExec);
        if (fd < 0) throw new IOException($"{directory}: cannot open the folder to flush it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0 && Marshal.GetLastPInvokeError() is var errno && errno != EInval)
                throw new IOException($"{directory}: cannot flush the folder to disk (errno {errno})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>
    /// Opens <paramref name="path"/> for reading; null when it is not a regular file (a FIFO, socket or character
    /// device: not seekable). The open itself never blocks.
    /// </summary>
    public static FileStream? OpenRegularForRead(string path)
    {
        if (!OperatingSystem.IsLinux()) return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous);
        var fd = Open(path, ORdOnly | ONonBlock | OCloExec);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno == 2 ? new FileNotFoundException($"{path}: no such file", path) : new IOException($"{path}: cannot open (errno {errno})");
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        FileStream stream;
        try
        {
            stream = new FileStream(handle, FileAccess.Read, 1 << 20);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            handle.Dispose();
            return null;
        }
        if (stream.CanSeek) return stream;
        stream.Dispose();
        return null;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
