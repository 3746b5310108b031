using ContinualTrainer.Ingestion.Store;

namespace ContinualTrainer.Ingestion.Watching;

/// <summary>A file the service is watching settle: what it last looked like, since when, and whether it needs a pass.</summary>
internal sealed class PendingFile
{
    /// <summary>Renamed into place: finished, whatever its timestamps say.</summary>
    public bool RenamedIn { get; set; }

    /// <summary>The stat last observed (null before the first observation).</summary>
    public FileStat? Seen { get; set; }

    /// <summary>When the file last changed as far as anyone can tell: its mtime at the first observation, then when a change was observed.</summary>
    public DateTimeOffset ChangedAt { get; set; }

    /// <summary>Changed since the last pass.</summary>
    public bool NeedsPass { get; set; } = true;
}
