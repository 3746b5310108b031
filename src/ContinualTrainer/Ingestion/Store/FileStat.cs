namespace ContinualTrainer.Ingestion.Store;

/// <summary>
/// What identifies one version of an input file: the device and inode it lives on, its size and its
/// modification time (nanoseconds since the Unix epoch), as <c>statx</c> reports them.
/// </summary>
public readonly record struct FileStat(long Device, long Inode, long Size, long MtimeNs, bool IsRegularFile)
{
    /// <summary>The modification time as a UTC instant (100 ns resolution).</summary>
    public DateTimeOffset Mtime => DateTimeOffset.UnixEpoch.AddTicks(MtimeNs / 100);

    /// <summary>True when the other stat describes the same inode with the same size and modification time.</summary>
    public bool SameVersionAs(FileStat other) =>
        Device == other.Device && Inode == other.Inode && Size == other.Size && MtimeNs == other.MtimeNs;
}
