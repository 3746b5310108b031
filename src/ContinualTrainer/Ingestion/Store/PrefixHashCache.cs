using System.Collections.Concurrent;

namespace ContinualTrainer.Ingestion.Store;

/// <summary>
/// The running <see cref="PrefixHash"/>es of files that are still growing, by <c>source_files</c> id. A pass takes
/// its file's entry out while it works and gives it back after its commit, so a failed or competing pass never
/// leaves a hash that disagrees with the database; without an entry the prefix is hashed again from the file.
/// </summary>
internal sealed class PrefixHashCache : IDisposable
{
    private const int MaxEntries = 256;

    private readonly ConcurrentDictionary<long, PrefixHash> entries = new();

    /// <summary>The entry of file <paramref name="fileId"/> when it covers exactly <paramref name="length"/> bytes; it is removed.</summary>
    public PrefixHash? Take(long fileId, long length)
    {
        if (!entries.TryRemove(fileId, out var entry)) return null;
        if (entry.Length == length) return entry;
        entry.Dispose();
        return null;
    }

    /// <summary>Keeps <paramref name="hash"/> for the file's next pass (dropped when the cache is full).</summary>
    public void Return(long fileId, PrefixHash hash)
    {
        if (entries.Count >= MaxEntries || !entries.TryAdd(fileId, hash)) hash.Dispose();
    }

    public void Dispose()
    {
        foreach (var id in entries.Keys)
        {
            if (entries.TryRemove(id, out var entry)) entry.Dispose();
        }
    }
}
