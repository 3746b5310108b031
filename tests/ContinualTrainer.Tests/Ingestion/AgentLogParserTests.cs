using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;

namespace ContinualTrainer.Tests.Ingestion;

public sealed class AgentLogParserTests
{
    private static readonly AgentLogParser Parser = new(IngestionLimits.Default);

    private static DateTimeOffset At(int second) => new(2025, 3, 1, 9, 0, second, TimeSpan.Zero);

    /// <summary>A realistic session: prompt, text and tool_use on separate lines, tool result, final answer.</summary>
    private static readonly string[] Session =
    [
        """{"type":"summary","summary":"Fix the flaky test","leafUuid":"u0"}""",
        """{"parentUuid":null,"isSidechain":false,"type":"user","sessionId":"s-1","uuid":"u1","timestamp":"2025-03-01T09:00:01Z","message":{"role":"user","content":"Why does test_io fail?"}}""",
        """{"parentUuid":"u1","type":"assistant","sessionId":"s-1","uuid":"u2","timestamp":"2025-03-01T09:00:02Z","message":{"id":"msg_1","role":"assistant","content":[{"type":"thinking","thinking":"Look at the log first.","signature":"x"},{"type":"text","text":"Let me read the log."}]}}""",
        """{"parentUuid":"u2","type":"assistant","sessionId":"s-1","uuid":"u3","timestamp":"2025-03-01T09:00:03Z","message":{"id":"msg_1","role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Read","input":{"file_path":"/tmp/test.log"}}]}}""",
        """{"parentUuid":"u3","type":"user","sessionId":"s-1","uuid":"u4","timestamp":"2025-03-01T09:00:04Z","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"Timeout after 5 s"}]}]}}""",
        """{"parentUuid":"u4","type":"assistant","sessionId":"s-1","uuid":"u5","timestamp":"2025-03-01T09:00:05Z","message":{"role":"assistant","content":[{"type":"text","text":"The test times out; raise the limit."}]}}""",
        """{"type":"system","sessionId":"s-1","content":"Compacting","timestamp":"2025-03-01T09:00:06Z"}""",
    ];

    [Fact]
    public void Builds_one_conversation_per_session_merging_one_turn_written_over_several_lines()
    {
        var conversation = ParseOutcome.Parse(Parser, string.Join('\n', Session) + "\n").Single();

        Assert.Equal("s-1", conversation.ConversationKey);
        Assert.Equal("s-1", conversation.SessionId);
        Assert.Equal(ConversationCategory.AgentLog, conversation.Category);
        Assert.Equal((2, 6), (conversation.FirstLine, conversation.LastLine));
        CanonicalMessage[] expected =
        [
            new(MessageRole.User, "Why does test_io fail?") { Timestamp = At(1) },
            new(MessageRole.Assistant, "Let me read the log.")
            {
                Thinking = "Look at the log first.",
                ToolCalls = [new ToolCall("toolu_1", "Read", """{"file_path":"/tmp/test.log"}""")],
                Timestamp = At(2),
            },
            new(MessageRole.Tool, "Timeout after 5 s") { ToolCallId = "toolu_1", Timestamp = At(4) },
            new(MessageRole.Assistant, "The test times out; raise the limit.") { Timestamp = At(5) },
        ];
        Assert.Equal(expected, conversation.Messages);
    }

    [Fact]
    public void Separates_interleaved_sessions_of_one_file()
    {
        string[] lines =
        [
            """{"type":"user","sessionId":"A","timestamp":"2025-03-01T09:00:01Z","message":{"role":"user","content":"A1"}}""",
            """{"type":"user","sessionId":"B","timestamp":"2025-03-01T09:00:02Z","message":{"role":"user","content":"B1"}}""",
            """{"type":"assistant","sessionId":"A","timestamp":"2025-03-01T09:00:03Z","message":{"role":"assistant","content":[{"type":"text","text":"A2"}]}}""",
            """{"type":"assistant","sessionId":"B","timestamp":"2025-03-01T09:00:04Z","message":{"role":"assistant","content":[{"type":"text","text":"B2"}]}}""",
        ];

        var outcome = ParseOutcome.Parse(Parser, string.Join("\n", lines) + "\n");

        Assert.Empty(outcome.Skipped);
        Assert.Equal(["A", "B"], outcome.Conversations.Select(c => c.ConversationKey));
        Assert.Equal(["A1", "A2"], outcome.Conversations[0].Messages.Select(m => m.Text));
        Assert.Equal(["B1", "B2"], outcome.Conversations[1].Messages.Select(m => m.Text));
        Assert.Equal((1, 3), (outcome.Conversations[0].FirstLine, outcome.Conversations[0].LastLine));
        Assert.Equal((2, 4), (outcome.Conversations[1].FirstLine, outcome.Conversations[1].LastLine));
    }

    [Fact]
    public void Orders_a_session_by_timestamp_when_lines_are_out_of_order()
    {
        string[] lines =
        [
            """{"type":"assistant","sessionId":"S","timestamp":"2025-03-01T09:00:02Z","message":{"role":"assistant","content":"second"}}""",
            """{"type":"user","sessionId":"S","timestamp":"2025-03-01T09:00:01Z","message":{"role":"user","content":"first"}}""",
            """{"type":"user","sessionId":"S","timestamp":"2025-03-01T10:00:03+01:00","message":{"role":"user","content":"third"}}""",
        ];

        var conversation = ParseOutcome.Parse(Parser, string.Join("\n", lines)).Single();

        Assert.Equal(["first", "second", "third"], conversation.Messages.Select(m => m.Text));
        Assert.Equal(new DateTimeOffset(2025, 3, 1, 10, 0, 3, TimeSpan.FromHours(1)), conversation.Messages[2].Timestamp);
    }

    [Fact]
    public void Splits_a_user_event_into_tool_results_and_text_in_block_order()
    {
        const string line = """{"type":"user","sessionId":"S","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"},{"type":"tool_result","tool_use_id":"t2"},{"type":"text","text":"Now commit."},{"type":"image","source":{}}]}}""";

        var outcome = ParseOutcome.Of(Parser.ReadEvents(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(line)), new ParseRequest("log.jsonl", true)));

        var e = Assert.Single(outcome.Events);
        Assert.Equal(("S", "log.jsonl", 1L, (DateTimeOffset?)null), (e.SessionId, e.SourceFile, e.LineNumber, e.Timestamp));
        CanonicalMessage[] expected =
        [
            new(MessageRole.Tool, "ok") { ToolCallId = "t1" },
            new(MessageRole.Tool, "") { ToolCallId = "t2" },
            new(MessageRole.User, "Now commit."),
        ];
        Assert.Equal(expected, e.Messages);
    }

    [Fact]
    public void Ignores_other_event_types_side_chains_and_unknown_blocks_without_errors()
    {
        string[] lines =
        [
            """{"type":"file-history-snapshot","messageId":"m","snapshot":{}}""",
            """{"type":"user","isSidechain":true,"sessionId":"S","message":{"role":"user","content":"sub-agent prompt"}}""",
            """{"type":"assistant","sessionId":"S","message":{"role":"assistant","content":[{"type":"redacted_thinking","data":"..."}]}}""",
            """{"type":"user","sessionId":"S","uuid":"u9","message":{"role":"user","content":"kept"}}""",
        ];

        var outcome = ParseOutcome.Of(Parser.ReadEvents(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", lines))), new ParseRequest("log", true)));

        Assert.Empty(outcome.Skipped);
        var e = Assert.Single(outcome.Events);
        Assert.Equal("u9", e.Uuid);
        Assert.Equal(4, e.LineNumber);
        Assert.Equal(new ParseCompleted(outcome.Completed!.EndOffset, 5), outcome.Completed);
    }

    [Theory]
    [InlineData("""{"type":"user","message":{"role":"user","content":"x"}}""", "event: missing 'sessionId'")]
    [InlineData("""{"type":"user","sessionId":"S","timestamp":"yesterday","message":{"role":"user","content":"x"}}""", "event.timestamp: 'yesterday' is not a date and time")]
    [InlineData("""{"type":"user","sessionId":"S"}""", "event.message: missing")]
    [InlineData("""{"type":"assistant","sessionId":"S","message":{"role":"assistant","content":[{"type":"tool_use","name":"Read","input":{}}]}}""", "message.content[0]: missing 'id'")]
    [InlineData("""{"type":"assistant","sessionId":"S","message":{"role":"assistant","content":7}}""", "message.content: expected a string or a list of blocks, found a number")]
    [InlineData("""{"type":"user","sessionId":"S","message":{"content":"x"}""", "invalid JSON at byte 57: Expected depth to be zero at the end of the JSON payload. There is an open JSON object or array that should be closed.")]
    public void Skips_a_bad_event_line_with_its_number_and_reason(string badLine, string reason)
    {
        const string good = """{"type":"user","sessionId":"S","message":{"role":"user","content":"ok"}}""";

        var outcome = ParseOutcome.Parse(Parser, $"{good}\n\n{badLine}\n{good}\n");

        Assert.Equal(new SkippedLine(3, reason), Assert.Single(outcome.Skipped));
        Assert.Equal(["ok", "ok"], Assert.Single(outcome.Conversations).Messages.Select(m => m.Text));
    }

    [Fact]
    public void Quarantines_a_file_in_which_no_line_is_an_event()
    {
        var outcome = ParseOutcome.Parse(Parser, "not json\n{also not\n");

        Assert.Equal(2, outcome.Skipped.Count);
        Assert.NotNull(outcome.Quarantine);
        Assert.StartsWith("no line could be parsed as an agent-log event (line 1: invalid JSON at byte 2:", outcome.Quarantine.Reason);
    }
}
