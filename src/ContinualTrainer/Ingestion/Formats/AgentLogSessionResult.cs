using ContinualTrainer.Ingestion.Conversations;

namespace ContinualTrainer.Ingestion.Formats;

/// <summary>What <see cref="AgentLogSessionBuilder"/> made of a session's events.</summary>
/// <param name="Conversation">The session's conversation; null when no event contributed a message.</param>
/// <param name="Dropped">Events left out because the conversation reached <see cref="IngestionLimits.MaxMessagesPerConversation"/>.</param>
public sealed record AgentLogSessionResult(CanonicalConversation? Conversation, IReadOnlyList<SkippedLine> Dropped);
