namespace ContinualTrainer.Ingestion.Conversations;

/// <summary>
/// One message of a <see cref="CanonicalConversation"/> in a model-independent form: the dataset layer
/// renders it through a model's chat template later.
/// </summary>
/// <remarks>
/// Thinking (reasoning) content is kept apart in <see cref="Thinking"/>, never mixed into <see cref="Text"/>:
/// it is not part of the decision text by default, and keeping it separately lets a later stage opt in to
/// training on it without re-reading the sources. Equality is by value, including the tool calls.
/// </remarks>
/// <param name="Role">Who speaks.</param>
/// <param name="Text">The visible text; empty (never null) when the message only carries tool calls.</param>
public sealed record CanonicalMessage(MessageRole Role, string Text)
{
    /// <summary>Tool calls requested by an assistant message, in order; empty for other roles.</summary>
    public IReadOnlyList<ToolCall> ToolCalls { get; init; } = [];

    /// <summary>For a <see cref="MessageRole.Tool"/> message, the id of the call it answers, when the source names it.</summary>
    public string? ToolCallId { get; init; }

    /// <summary>When the message was written, when the source records it (agent logs do, transcripts usually not).</summary>
    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>The assistant's thinking / reasoning text, when the source has it; null otherwise.</summary>
    public string? Thinking { get; init; }

    public bool Equals(CanonicalMessage? other) =>
        other is not null
        && Role == other.Role
        && string.Equals(Text, other.Text, StringComparison.Ordinal)
        && string.Equals(ToolCallId, other.ToolCallId, StringComparison.Ordinal)
        && Timestamp == other.Timestamp
        && string.Equals(Thinking, other.Thinking, StringComparison.Ordinal)
        && ToolCalls.SequenceEqual(other.ToolCalls);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Role);
        hash.Add(Text, StringComparer.Ordinal);
        hash.Add(ToolCallId, StringComparer.Ordinal);
        hash.Add(Timestamp);
        hash.Add(Thinking, StringComparer.Ordinal);
        foreach (var call in ToolCalls) hash.Add(call);
        return hash.ToHashCode();
    }
}
