using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;

namespace ContinualTrainer.Ingestion.Store;

/// <summary>One file to ingest and what the caller knows about it.</summary>
/// <param name="Path">Absolute path.</param>
/// <param name="Category">
/// The category of its watched folder (or <c>ingest --category</c>); null: agent-log for files in the agent-log
/// format, transcript otherwise. A file already recorded keeps the category it was first ingested with.
/// </param>
/// <param name="Format">A configured or requested format; null: detected from the file's first bytes.</param>
/// <param name="RelativeName">
/// Its path below its watched folder: where it goes inside the archive or quarantine folder. Null for a file outside
/// the watched folders (given to <c>ingest</c>), which is never moved.
/// </param>
/// <param name="Completeness">Whether the file is finished being written.</param>
public sealed record IngestTarget(
    string Path,
    ConversationCategory? Category,
    ConversationFormat? Format,
    string? RelativeName,
    FileCompleteness Completeness);
