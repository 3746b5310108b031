namespace ContinualTrainer.Ingestion.Store;

/// <summary>What one <see cref="FileIngestor.IngestAsync"/> call did with a file.</summary>
public enum IngestDisposition
{
    /// <summary>New content was read and committed (conversations may still all be unchanged: a re-read of identical data).</summary>
    Taken,

    /// <summary>Nothing new since the last pass.</summary>
    Unchanged,

    /// <summary>Nothing could be read yet: the file is still being written (no complete line, or a whole-file layout, or an undetermined format).</summary>
    Waiting,

    /// <summary>The file cannot be parsed at all; recorded with the reason (and moved when <c>Ingestion:QuarantineDir</c> is set).</summary>
    Quarantined,

    /// <summary>A byte-for-byte copy of a complete file ingested before: recorded, nothing added.</summary>
    Duplicate,

    /// <summary>The file vanished, or it is not a regular file (a FIFO, a socket, a device).</summary>
    Gone,
}
