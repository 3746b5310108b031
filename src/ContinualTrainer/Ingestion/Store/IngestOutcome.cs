using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;

namespace ContinualTrainer.Ingestion.Store;

/// <summary>What one <see cref="FileIngestor.IngestAsync"/> call did with one file.</summary>
public sealed record IngestOutcome(string Path, IngestDisposition Disposition)
{
    public ConversationCategory? Category { get; init; }

    public ConversationFormat? Format { get; init; }

    /// <summary>Conversations stored for the first time.</summary>
    public int NewConversations { get; init; }

    /// <summary>Stored conversations whose messages changed (a session that grew, a replaced file's line).</summary>
    public int UpdatedConversations { get; init; }

    /// <summary>Conversations read again with exactly the stored messages: nothing changed.</summary>
    public int UnchangedConversations { get; init; }

    /// <summary>Lines (events, document elements) left out in this call.</summary>
    public int LinesSkipped { get; init; }

    /// <summary>The first <see cref="FileIngestor.MaxSkippedLinesReported"/> of them, with their reasons.</summary>
    public IReadOnlyList<SkippedLine> FirstSkippedLines { get; init; } = [];

    /// <summary>Bytes consumed from the file in this call.</summary>
    public long BytesRead { get; init; }

    /// <summary>Why it was quarantined, what it waits for, or which file it duplicates.</summary>
    public string? Reason { get; init; }

    /// <summary>Where the file was moved after its commit (archive or quarantine folder), if it was.</summary>
    public string? MovedTo { get; init; }

    /// <summary>The recorded path this file was found to have been moved from (same inode, same bytes), if it was.</summary>
    public string? MovedFrom { get; init; }

    /// <summary>True when the file is now read to its end as a finished file.</summary>
    public bool Complete { get; init; }
}
