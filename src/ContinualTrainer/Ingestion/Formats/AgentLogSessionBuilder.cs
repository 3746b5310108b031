using ContinualTrainer.Ingestion.Conversations;

namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// Pure functions that turn one session's <see cref="AgentLogEvent"/>s into its conversation, or extend a
/// conversation built earlier with events read since.
/// </summary>
/// <remarks>
/// <para>Order: events are sorted by timestamp, stably (events with equal timestamps keep the order they are
/// given in, which should be file order). An event without a timestamp takes the timestamp of the event
/// given before it in the same call, so it stays where the file put it.</para>
/// <para>Merging: an assistant message that directly follows an assistant message (nothing between them —
/// no user or tool message) is merged into it: texts and thinking joined with a blank line, tool calls
/// appended, the first timestamp kept. Agents write one model turn as several lines (text, then each
/// tool_use), and two assistant messages in a row would otherwise break the alternation chat templates expect.</para>
/// <para>Limit: once the conversation holds <see cref="IngestionLimits.MaxMessagesPerConversation"/> messages,
/// the events that would add more are dropped and reported.</para>
/// </remarks>
public static class AgentLogSessionBuilder
{
    /// <summary>The events in conversation order (see remarks).</summary>
    public static IReadOnlyList<AgentLogEvent> Order(IEnumerable<AgentLogEvent> events)
    {
        var keyed = new List<(DateTimeOffset Key, AgentLogEvent Event)>();
        var last = DateTimeOffset.MinValue;
        foreach (var e in events)
        {
            last = e.Timestamp ?? last;
            keyed.Add((last, e));
        }
        return keyed.OrderBy(k => k.Key).Select(k => k.Event).ToList();
    }

    /// <summary>The conversation of a session from its events (all of one session).</summary>
    public static AgentLogSessionResult Build(IEnumerable<AgentLogEvent> events, IngestionLimits limits) => Extend(null, events, limits);

    /// <summary>
    /// <paramref name="existing"/> (a conversation built earlier by this class, or null) with
    /// <paramref name="events"/> appended after its last message, in the order of <see cref="Order"/>.
    /// Events older than the existing messages are still appended after them; to place them exactly,
    /// rebuild from all of the session's events with <see cref="Build"/>.
    /// </summary>
    public static AgentLogSessionResult Extend(CanonicalConversation? existing, IEnumerable<AgentLogEvent> events, IngestionLimits limits)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(limits);
        var ordered = Order(events);
        var sessionId = existing?.SessionId ?? (ordered.Count > 0 ? ordered[0].SessionId : null)
            ?? throw new ArgumentException("neither an existing agent-log conversation nor any event: no session to build", nameof(events));
        if (existing is not null && (existing.Category != ConversationCategory.AgentLog || existing.ConversationKey != sessionId))
            throw new ArgumentException($"conversation '{existing.ConversationKey}' is not an agent-log session built by {nameof(AgentLogSessionBuilder)}", nameof(existing));

        var messages = new List<CanonicalMessage>(existing?.Messages ?? []);
        var dropped = new List<SkippedLine>();
        var firstLine = existing?.FirstLine ?? long.MaxValue;
        var lastLine = existing?.LastLine ?? 0;
        foreach (var e in ordered)
        {
            if (e.SessionId != sessionId)
                throw new ArgumentException($"event at {e.SourceFile}:{e.LineNumber} belongs to session '{e.SessionId}', not '{sessionId}'", nameof(events));
            if (dropped.Count > 0 || CountAfter(messages, e) > limits.MaxMessagesPerConversation)
            {
                dropped.Add(new SkippedLine(e.LineNumber,
                    $"session '{sessionId}' reached the limit of {limits.MaxMessagesPerConversation} messages (IngestionLimits.MaxMessagesPerConversation)"));
                continue;
            }
            foreach (var message in e.Messages) Append(messages, message);
            firstLine = Math.Min(firstLine, e.LineNumber);
            lastLine = Math.Max(lastLine, e.LineNumber);
        }
        if (messages.Count == 0) return new AgentLogSessionResult(null, dropped);
        var sourceFile = existing?.SourceFile ?? ordered[0].SourceFile;
        return new AgentLogSessionResult(
            new CanonicalConversation(sessionId, sessionId, ConversationCategory.AgentLog, sourceFile, firstLine, lastLine, messages),
            dropped);
    }

    private static int CountAfter(List<CanonicalMessage> messages, AgentLogEvent e)
    {
        var count = messages.Count;
        var lastRole = count > 0 ? messages[^1].Role : (MessageRole?)null;
        foreach (var message in e.Messages)
        {
            if (!(message.Role == MessageRole.Assistant && lastRole == MessageRole.Assistant)) count++;
            lastRole = message.Role;
        }
        return count;
    }

    private static void Append(List<CanonicalMessage> messages, CanonicalMessage message)
    {
        if (message.Role == MessageRole.Assistant && messages.Count > 0 && messages[^1].Role == MessageRole.Assistant)
        {
            var previous = messages[^1];
            messages[^1] = previous with
            {
                Text = Join(previous.Text, message.Text),
                Thinking = previous.Thinking is null ? message.Thinking : message.Thinking is null ? previous.Thinking : Join(previous.Thinking, message.Thinking),
                ToolCalls = [.. previous.ToolCalls, .. message.ToolCalls],
                Timestamp = previous.Timestamp ?? message.Timestamp,
            };
            return;
        }
        messages.Add(message);
    }

    private static string Join(string first, string second) =>
        first.Length == 0 ? second : second.Length == 0 ? first : first + "\n\n" + second;
}
