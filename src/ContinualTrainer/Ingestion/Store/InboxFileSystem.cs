using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ContinualTrainer.Ingestion.Store;

/// <summary>
/// The two things about input files that .NET does not offer: their identity (device and inode, through
/// Linux <c>statx</c>, whose layout is the same on every architecture) and opening them without ever blocking
/// (<c>O_NONBLOCK</c>: a FIFO planted in a watched folder must not hang the ingester; it is refused instead).
/// </summary>
internal static unsafe partial class InboxFileSystem
{
    private const int AtFdCwd = -100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const int StatxBufferBytes = 256;
    private const int ORdOnly = 0;
    private const int ONonBlock = 0x800;   // 04000 on x86-64 and arm64
    private const int OCloExec = 0x80000;  // 02000000 on x86-64 and arm64
    private const int ENoEnt = 2;
    private const int ENotDir = 20;
    private const int SIfMt = 0xF000;
    private const int SIfReg = 0x8000;

    /// <summary>The stat of <paramref name="path"/> (symbolic links followed), or null when nothing is there.</summary>
    public static FileStat? Stat(string path)
    {
        var words = stackalloc ulong[StatxBufferBytes / sizeof(ulong)];
        var buffer = (byte*)words;
        if (Statx(AtFdCwd, path, 0, StatxBasicStats, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is ENoEnt or ENotDir) return null;
            throw new IOException($"{path}: cannot stat (errno {errno})");
        }
        return Read(buffer);
    }

    /// <summary>
    /// Opens <paramref name="path"/> for reading together with the stat of exactly the file opened; null when
    /// nothing is there or it is not a regular file. Never blocks, never modifies the file.
    /// </summary>
    public static (FileStream Stream, FileStat Stat)? OpenForRead(string path)
    {
        var fd = Open(path, ORdOnly | ONonBlock | OCloExec);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is ENoEnt or ENotDir) return null;
            throw new IOException($"{path}: cannot open for reading (errno {errno})");
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            var words = stackalloc ulong[StatxBufferBytes / sizeof(ulong)];
            var buffer = (byte*)words;
            if (Statx(fd, "", AtEmptyPath, StatxBasicStats, buffer) != 0)
                throw new IOException($"{path}: cannot stat the opened file (errno {Marshal.GetLastPInvokeError()})");
            var stat = Read(buffer);
            if (!stat.IsRegularFile)
            {
                handle.Dispose();
                return null;
            }
            return (new FileStream(handle, FileAccess.Read, bufferSize: 64 * 1024), stat);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static FileStat Read(byte* buffer)
    {
        // struct statx (native byte order, 8-aligned buffer): stx_mode u16 @28, stx_ino u64 @32, stx_size u64 @40,
        // stx_mtime {i64 tv_sec, u32 tv_nsec} @112, stx_dev_major u32 @136, stx_dev_minor u32 @140.
        var mode = *(ushort*)(buffer + 28);
        var inode = (long)*(ulong*)(buffer + 32);
        var size = (long)*(ulong*)(buffer + 40);
        var seconds = *(long*)(buffer + 112);
        var nanoseconds = *(uint*)(buffer + 120);
        var device = ((long)*(uint*)(buffer + 136) << 32) | *(uint*)(buffer + 140);
        return new FileStat(device, inode, size, seconds * 1_000_000_000L + nanoseconds, (mode & SIfMt) == SIfReg);
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirFd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);
}
