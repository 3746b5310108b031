using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;

namespace ContinualTrainer.Ingestion.Store;

/// <summary>
/// One row of <c>source_files</c>: an input file's identity, how far it has been read, and where it stands.
/// </summary>
/// <param name="Id">Row id; conversations refer to it.</param>
/// <param name="Path">Where the file is now (absolute): its inbox path, or its place in the archive or quarantine folder.</param>
/// <param name="SourceName">
/// The name conversation keys and <see cref="CanonicalConversation.SourceFile"/> use: the file's absolute path when
/// it was first seen. A file moved later keeps it, so re-reading it never re-keys its conversations.
/// </param>
/// <param name="Category">From the watched folder it was first found in (or <c>ingest --category</c>).</param>
/// <param name="Format">The format it is read as; null until one was detected.</param>
/// <param name="Stat">Device, inode, size and mtime when it was last read (the identity checked before resuming).</param>
/// <param name="ReadOffset">Bytes consumed: the next pass resumes here.</param>
/// <param name="NextLine">1-based number of the line at <paramref name="ReadOffset"/>.</param>
/// <param name="HeadSha256">SHA-256 (hex) of the first min(4 KiB, offset) bytes: a replaced file is noticed cheaply.</param>
/// <param name="ContentSha256">SHA-256 (hex) of bytes [0, offset): what was read, exactly.</param>
/// <param name="State">Where the file stands.</param>
/// <param name="Reason">Why it was quarantined, or whose copy it is.</param>
/// <param name="DuplicateOf">For <see cref="SourceFileState.Duplicate"/>: the row of the file it copies.</param>
/// <param name="LinesSkipped">Lines (or events, or document elements) left out of the file as read now.</param>
/// <param name="Conversations">Conversation insertions and changes this file caused, over its life.</param>
/// <param name="Passes">Committed passes; also the row's version for optimistic concurrency between ingesters.</param>
public sealed record SourceFileRecord(
    long Id,
    string Path,
    string SourceName,
    ConversationCategory Category,
    ConversationFormat? Format,
    FileStat Stat,
    long ReadOffset,
    long NextLine,
    string HeadSha256,
    string ContentSha256,
    SourceFileState State,
    string? Reason,
    long? DuplicateOf,
    long LinesSkipped,
    long Conversations,
    long Passes,
    DateTimeOffset FirstSeenUtc,
    DateTimeOffset? LastIngestedUtc,
    DateTimeOffset StateChangedUtc);
