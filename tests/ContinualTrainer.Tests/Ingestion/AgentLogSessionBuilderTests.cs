using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;

namespace ContinualTrainer.Tests.Ingestion;

public sealed class AgentLogSessionBuilderTests
{
    private static DateTimeOffset At(int second) => new(2025, 3, 1, 9, 0, second, TimeSpan.Zero);

    private static AgentLogEvent Event(long line, int? second, params CanonicalMessage[] messages) =>
        new("S", second is { } s ? At(s) : null, "log.jsonl", line, messages);

    private static CanonicalMessage User(string text) => new(MessageRole.User, text);

    private static CanonicalMessage Assistant(string text) => new(MessageRole.Assistant, text);

    [Fact]
    public void Extending_with_later_events_equals_building_from_all_events()
    {
        AgentLogEvent[] events =
        [
            Event(1, 1, User("q")),
            Event(2, 2, Assistant("looking")),
            Event(3, 3, new CanonicalMessage(MessageRole.Assistant, "") { ToolCalls = [new ToolCall("t", "ls", "{}")] }),
            Event(4, 4, new CanonicalMessage(MessageRole.Tool, "a.txt") { ToolCallId = "t" }),
            Event(5, 5, Assistant("one file")),
        ];

        var whole = AgentLogSessionBuilder.Build(events, IngestionLimits.Default).Conversation!;
        var first = AgentLogSessionBuilder.Build(events[..2], IngestionLimits.Default).Conversation;
        var extended = AgentLogSessionBuilder.Extend(first, events[2..], IngestionLimits.Default).Conversation!;

        Assert.Equal(whole, extended);
        Assert.Equal(4, whole.Messages.Count);
        Assert.Equal((1, 5), (extended.FirstLine, extended.LastLine));
    }

    [Fact]
    public void Merges_adjacent_assistant_messages_but_not_across_a_tool_result()
    {
        var result = AgentLogSessionBuilder.Build(
            [
                Event(1, 1, Assistant("a") with { Thinking = "t1" }),
                Event(2, 2, Assistant("b") with { ToolCalls = [new ToolCall("x", "f", "{}")] }),
                Event(3, 3, Assistant("") with { Thinking = "t2", ToolCalls = [new ToolCall("y", "g", "{}")] }),
                Event(4, 4, new CanonicalMessage(MessageRole.Tool, "r")),
                Event(5, 5, Assistant("c")),
            ],
            IngestionLimits.Default);

        CanonicalMessage[] expected =
        [
            new(MessageRole.Assistant, "a\n\nb")
            {
                Thinking = "t1\n\nt2",
                ToolCalls = [new ToolCall("x", "f", "{}"), new ToolCall("y", "g", "{}")],
            },
            new(MessageRole.Tool, "r"),
            Assistant("c"),
        ];
        Assert.Equal(expected, result.Conversation!.Messages);
    }

    [Fact]
    public void Keeps_file_order_for_events_without_timestamps()
    {
        var ordered = AgentLogSessionBuilder.Order(
            [Event(1, 5, User("a")), Event(2, null, User("b")), Event(3, 3, User("c")), Event(4, null, User("d"))]);

        Assert.Equal([3L, 4L, 1L, 2L], ordered.Select(e => e.LineNumber));
    }

    [Fact]
    public void Drops_and_reports_events_beyond_the_message_limit()
    {
        var limits = IngestionLimits.Default with { MaxMessagesPerConversation = 2 };

        var result = AgentLogSessionBuilder.Build([Event(1, 1, User("a")), Event(2, 2, Assistant("b")), Event(3, 3, User("c")), Event(4, 4, Assistant("d"))], limits);

        Assert.Equal(["a", "b"], result.Conversation!.Messages.Select(m => m.Text));
        Assert.Equal([3L, 4L], result.Dropped.Select(d => d.LineNumber));
        Assert.All(result.Dropped, d => Assert.Contains("limit of 2 messages", d.Reason));
    }

    [Fact]
    public void Rejects_events_of_another_session()
    {
        var stranger = new AgentLogEvent("T", At(2), "log.jsonl", 2, [User("x")]);

        var error = Assert.Throws<ArgumentException>(() => AgentLogSessionBuilder.Build([Event(1, 1, User("a")), stranger], IngestionLimits.Default));

        Assert.Contains("belongs to session 'T', not 'S'", error.Message);
    }
}
