using ContinualTrainer.Ingestion.Conversations;

namespace ContinualTrainer.Ingestion.Formats;

/// <summary>A conversation read from the input.</summary>
public sealed record ParsedConversation(CanonicalConversation Conversation) : ParseRecord;
