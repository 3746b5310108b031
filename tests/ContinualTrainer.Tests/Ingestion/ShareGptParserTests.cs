using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;

namespace ContinualTrainer.Tests.Ingestion;

public sealed class ShareGptParserTests
{
    private static readonly ShareGptParser Parser = new(IngestionLimits.Default);

    [Fact]
    public void Reads_a_json_array_of_multi_turn_conversations()
    {
        const string document = """
            [
              {"id": "a1", "conversations": [
                {"from": "system", "value": "You are helpful."},
                {"from": "human", "value": "Name a prime."},
                {"from": "gpt", "value": "7"},
                {"from": "human", "value": "Another?"},
                {"from": "gpt", "value": "11"}
              ]},
              {"id": "a2", "conversations": [{"from": "user", "value": "hi"}, {"from": "assistant", "value": "hello"}]}
            ]
            """;

        var outcome = ParseOutcome.Parse(Parser, document);

        Assert.Empty(outcome.Skipped);
        Assert.Equal(2, outcome.Conversations.Count);
        CanonicalMessage[] first =
        [
            new(MessageRole.System, "You are helpful."),
            new(MessageRole.User, "Name a prime."),
            new(MessageRole.Assistant, "7"),
            new(MessageRole.User, "Another?"),
            new(MessageRole.Assistant, "11"),
        ];
        Assert.Equal(first, outcome.Conversations[0].Messages);
        Assert.Equal([new(MessageRole.User, "hi"), new CanonicalMessage(MessageRole.Assistant, "hello")], outcome.Conversations[1].Messages);
        Assert.Equal(["f.jsonl#0", "f.jsonl#1"], outcome.Conversations.Select(c => c.ConversationKey));
    }

    [Fact]
    public void Reads_jsonl_with_a_top_level_system_prompt()
    {
        const string line = """{"system":"Answer in French.","conversations":[{"from":"human","value":"thanks"},{"from":"gpt","value":"merci"}]}""";

        var conversation = ParseOutcome.Parse(Parser, line + "\n").Single();

        Assert.Equal("f.jsonl#L1", conversation.ConversationKey);
        Assert.Equal(
            [new(MessageRole.System, "Answer in French."), new(MessageRole.User, "thanks"), new CanonicalMessage(MessageRole.Assistant, "merci")],
            conversation.Messages);
    }

    [Fact]
    public void Reads_function_calls_and_observations_as_tool_calls_and_results()
    {
        const string line = """{"conversations":[{"from":"human","value":"Weather in Oslo?"},{"from":"function_call","value":"{\"name\": \"weather\", \"arguments\": {\"city\": \"Oslo\"}}"},{"from":"observation","value":"-3 C, snow"},{"from":"gpt","value":"Cold and snowy."}]}""";

        var conversation = ParseOutcome.Parse(Parser, line).Single();

        CanonicalMessage[] expected =
        [
            new(MessageRole.User, "Weather in Oslo?"),
            new(MessageRole.Assistant, "") { ToolCalls = [new ToolCall("", "weather", """{"city":"Oslo"}""")] },
            new(MessageRole.Tool, "-3 C, snow"),
            new(MessageRole.Assistant, "Cold and snowy."),
        ];
        Assert.Equal(expected, conversation.Messages);
    }

    [Theory]
    [InlineData("""{"conversations":[{"from":"narrator","value":"x"}]}""", "conversations[0]: unknown speaker 'narrator'")]
    [InlineData("""{"conversations":[{"value":"x"}]}""", "conversations[0]: missing 'from'")]
    [InlineData("""{"conversations":[{"from":"human","value":["x"]}]}""", "conversations[0].value: expected a string, found an array")]
    [InlineData("""{"messages":[{"from":"human","value":"x"}]}""", "no 'conversations' array")]
    public void Skips_a_line_of_the_wrong_shape_with_a_reason(string badLine, string reason)
    {
        const string good = """{"conversations":[{"from":"human","value":"ok"}]}""";

        var outcome = ParseOutcome.Parse(Parser, $"{good}\n{badLine}\n");

        Assert.Single(outcome.Conversations);
        Assert.Equal(new SkippedLine(2, reason), Assert.Single(outcome.Skipped));
    }

    [Fact]
    public void Skips_a_function_call_whose_value_is_not_json()
    {
        const string line = """{"conversations":[{"from":"human","value":"x"},{"from":"function_call","value":"weather(Oslo)"}]}""";

        var outcome = ParseOutcome.Parse(Parser, line + "\n" + """{"conversations":[{"from":"human","value":"ok"}]}""");

        var skipped = Assert.Single(outcome.Skipped);
        Assert.Equal(1, skipped.LineNumber);
        Assert.StartsWith("conversations[1].value: function_call value is not JSON", skipped.Reason);
    }
}
