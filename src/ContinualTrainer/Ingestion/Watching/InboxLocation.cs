using ContinualTrainer.Ingestion.Formats;

namespace ContinualTrainer.Ingestion.Watching;

/// <summary>Where a file sits among the watched folders: its root, its path relative to it, and the configured format, if any.</summary>
public sealed record InboxLocation(InboxRoot Root, string RelativePath, ConversationFormat? Format);
