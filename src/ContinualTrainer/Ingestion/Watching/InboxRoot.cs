using ContinualTrainer.Ingestion.Conversations;

namespace ContinualTrainer.Ingestion.Watching;

/// <summary>A watched folder (absolute, no trailing separator) and the category of the conversations in it.</summary>
public sealed record InboxRoot(string Path, ConversationCategory Category);
