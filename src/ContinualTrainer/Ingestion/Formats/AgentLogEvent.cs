using ContinualTrainer.Ingestion.Conversations;

namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// One <c>user</c> or <c>assistant</c> event of an agent session log, already turned into canonical messages.
/// A session's conversation is built from its events by <see cref="AgentLogSessionBuilder"/>, so the caller
/// can keep events and extend a stored conversation as the log grows.
/// </summary>
/// <param name="SessionId">The session the event belongs to (<c>sessionId</c>).</param>
/// <param name="Timestamp">The event's <c>timestamp</c>, when present.</param>
/// <param name="SourceFile">The file the event was read from.</param>
/// <param name="LineNumber">1-based line of the event in <paramref name="SourceFile"/>.</param>
/// <param name="Messages">
/// What the event says: an assistant event gives one assistant message (text, tool calls, thinking); a user
/// event gives its text as a user message and each <c>tool_result</c> block as a tool message, in block order.
/// </param>
public sealed record AgentLogEvent(
    string SessionId,
    DateTimeOffset? Timestamp,
    string SourceFile,
    long LineNumber,
    IReadOnlyList<CanonicalMessage> Messages)
{
    /// <summary>The event's own id (<c>uuid</c>), when present: lets a caller drop events it already stored.</summary>
    public string? Uuid { get; init; }

    public bool Equals(AgentLogEvent? other) =>
        other is not null
        && string.Equals(SessionId, other.SessionId, StringComparison.Ordinal)
        && Timestamp == other.Timestamp
        && string.Equals(SourceFile, other.SourceFile, StringComparison.Ordinal)
        && LineNumber == other.LineNumber
        && string.Equals(Uuid, other.Uuid, StringComparison.Ordinal)
        && Messages.SequenceEqual(other.Messages);

    public override int GetHashCode() => HashCode.Combine(SessionId, Timestamp, SourceFile, LineNumber, Messages.Count);
}
