using ContinualTrainer.Ingestion.Store;

namespace ContinualTrainer.Ingestion.Watching;

/// <summary>
/// Decides when a changed file gets a pass and whether it counts as complete then: renamed into place, it is finished
/// at once; written in place, it is growing until its size and mtime have not changed for the settle time. A growing
/// file gets a pass whenever it changed (whole lines are taken as they come); once it is complete it gets its final
/// pass and is forgotten until it changes again.
/// </summary>
internal sealed class SettleTracker(TimeSpan settle)
{
    private readonly Dictionary<string, PendingFile> pending = new(StringComparer.Ordinal);

    public int Count => pending.Count;

    /// <summary>Notes that <paramref name="path"/> changed (or may have).</summary>
    public void Touch(string path, bool renamedIn)
    {
        if (!pending.TryGetValue(path, out var file)) pending.Add(path, file = new PendingFile());
        file.NeedsPass = true;
        file.RenamedIn |= renamedIn;
    }

    /// <summary>
    /// Observes every pending file through <paramref name="stat"/> and returns those that need a pass now, with their
    /// completeness. Files that vanished, or are not regular files, are forgotten.
    /// </summary>
    public IReadOnlyList<(string Path, FileCompleteness Completeness)> Due(DateTimeOffset now, Func<string, FileStat?> stat)
    {
        var due = new List<(string, FileCompleteness)>();
        foreach (var (path, file) in pending.OrderBy(p => p.Key, StringComparer.Ordinal).ToList())
        {
            if (stat(path) is not { IsRegularFile: true } current)
            {
                pending.Remove(path);
                continue;
            }
            if (file.Seen is not { } seen || !seen.SameVersionAs(current))
            {
                file.ChangedAt = file.Seen is null && current.Mtime < now ? current.Mtime : now;
                file.Seen = current;
                file.NeedsPass = true;
            }
            var completeness = Completeness(file, now);
            if (file.NeedsPass || completeness != FileCompleteness.Growing) due.Add((path, completeness));
        }
        return due;
    }

    /// <summary>Records that a pass ran: a complete file is forgotten; a growing one waits for its next change or for settling.</summary>
    public void Passed(string path, FileCompleteness completeness)
    {
        if (!pending.TryGetValue(path, out var file)) return;
        if (completeness == FileCompleteness.Growing) file.NeedsPass = false;
        else pending.Remove(path);
    }

    /// <summary>Forgets <paramref name="path"/> (its pass failed; the next rescan brings it back).</summary>
    public void Forget(string path) => pending.Remove(path);

    /// <summary>When the next growing file settles (null: none is waiting).</summary>
    public DateTimeOffset? NextSettle()
    {
        DateTimeOffset? next = null;
        foreach (var file in pending.Values)
        {
            if (file.RenamedIn || file.Seen is null) return DateTimeOffset.MinValue;
            var at = file.ChangedAt + settle;
            if (next is null || at < next) next = at;
        }
        return next;
    }

    private FileCompleteness Completeness(PendingFile file, DateTimeOffset now) =>
        file.RenamedIn ? FileCompleteness.Finished
        : now - file.ChangedAt >= settle ? FileCompleteness.Settled
        : FileCompleteness.Growing;
}
