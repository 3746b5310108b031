namespace ContinualTrainer.Ingestion.Watching;

/// <summary>
/// One recursive <see cref="FileSystemWatcher"/> per watched folder, reduced to "this path changed" (and whether it
/// was renamed into place). The callbacks run on the watchers' threads and must only record and signal: the work
/// happens elsewhere. Watchers lose events under load and across restarts, which is why the service also rescans.
/// </summary>
internal sealed class InboxWatcher : IDisposable
{
    private readonly List<FileSystemWatcher> watchers = [];

    /// <param name="roots">The watched folders; created when missing.</param>
    /// <param name="changed">Called with a changed path (a file or a folder) and true when it was renamed into place.</param>
    /// <param name="failed">Called when a watcher lost events (its buffer overflowed) or broke.</param>
    public InboxWatcher(IEnumerable<InboxRoot> roots, Action<string, bool> changed, Action<Exception> failed)
    {
        try
        {
            foreach (var root in roots)
            {
                Directory.CreateDirectory(root.Path);
                var watcher = new FileSystemWatcher(root.Path)
                {
                    IncludeSubdirectories = true,
                    NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.Size | NotifyFilters.LastWrite,
                    InternalBufferSize = 64 * 1024,
                };
                watcher.Created += (_, e) => changed(e.FullPath, false);
                watcher.Changed += (_, e) => changed(e.FullPath, false);
                watcher.Renamed += (_, e) => changed(e.FullPath, true);
                watcher.Error += (_, e) => failed(e.GetException());
                watchers.Add(watcher);
                watcher.EnableRaisingEvents = true;
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var watcher in watchers) watcher.Dispose();
        watchers.Clear();
    }
}
