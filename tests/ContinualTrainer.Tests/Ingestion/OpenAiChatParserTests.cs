using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;

namespace ContinualTrainer.Tests.Ingestion;

public sealed class OpenAiChatParserTests
{
    private static readonly OpenAiChatParser Parser = new(IngestionLimits.Default);

    private const string ToolConversation =
        """{"messages":[{"role":"system","content":"You are a build assistant."},{"role":"user","content":"Is the build green?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"ci_status","arguments":"{\"branch\":\"main\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"passed: 214 tests"},{"role":"assistant","content":"Yes, all 214 tests pass on main."}]}""";

    [Fact]
    public void Reads_a_multi_turn_tool_conversation_from_one_jsonl_line()
    {
        var conversation = ParseOutcome.Parse(Parser, ToolConversation + "\n").Single();

        Assert.Equal("f.jsonl#L1", conversation.ConversationKey);
        Assert.Equal(ConversationCategory.Transcript, conversation.Category);
        Assert.Null(conversation.SessionId);
        Assert.Equal((1, 1), (conversation.FirstLine, conversation.LastLine));
        CanonicalMessage[] expected =
        [
            new(MessageRole.System, "You are a build assistant."),
            new(MessageRole.User, "Is the build green?"),
            new(MessageRole.Assistant, "") { ToolCalls = [new ToolCall("call_1", "ci_status", """{"branch":"main"}""")] },
            new(MessageRole.Tool, "passed: 214 tests") { ToolCallId = "call_1" },
            new(MessageRole.Assistant, "Yes, all 214 tests pass on main."),
        ];
        Assert.Equal(expected, conversation.Messages);
    }

    [Fact]
    public void Concatenates_text_parts_and_ignores_other_part_types()
    {
        const string line = """{"messages":[{"role":"user","content":[{"type":"text","text":"What is in "},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}},{"type":"text","text":"this picture?"}]},{"role":"assistant","content":[{"type":"text","text":"A cat."}]}]}""";

        var conversation = ParseOutcome.Parse(Parser, line).Single();

        Assert.Equal([new(MessageRole.User, "What is in this picture?"), new CanonicalMessage(MessageRole.Assistant, "A cat.")], conversation.Messages);
    }

    [Fact]
    public void Writes_object_arguments_as_compact_json()
    {
        const string line = """{"messages":[{"role":"user","content":"weather?"},{"role":"assistant","content":"","tool_calls":[{"id":"c9","type":"function","function":{"name":"weather","arguments":{ "city" : "Zürich", "days" : [1, 2] }}}]}]}""";

        var call = Assert.Single(ParseOutcome.Parse(Parser, line).Single().Messages[1].ToolCalls);

        Assert.Equal(new ToolCall("c9", "weather", """{"city":"Zürich","days":[1,2]}"""), call);
    }

    [Fact]
    public void Keeps_string_arguments_verbatim_even_when_not_json()
    {
        const string line = """{"messages":[{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"run","arguments":"{ broken"}}]}]}""";

        var call = Assert.Single(ParseOutcome.Parse(Parser, line).Single().Messages[0].ToolCalls);

        Assert.Equal("{ broken", call.Arguments);
    }

    [Fact]
    public void Keeps_reasoning_content_as_thinking_apart_from_the_text()
    {
        const string line = """{"messages":[{"role":"user","content":"2+2?"},{"role":"assistant","reasoning_content":"Two plus two is four.","content":"4"}]}""";

        var answer = ParseOutcome.Parse(Parser, line).Single().Messages[1];

        Assert.Equal("4", answer.Text);
        Assert.Equal("Two plus two is four.", answer.Thinking);
    }

    [Fact]
    public void Reads_one_pretty_printed_document_as_one_conversation()
    {
        const string document = """
            {
              "messages": [
                {"role": "developer", "content": "Be terse."},
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "hello"}
              ]
            }
            """;

        var conversation = ParseOutcome.Parse(Parser, document).Single();

        Assert.Equal("f.jsonl#0", conversation.ConversationKey);
        Assert.Equal((1, 7), (conversation.FirstLine, conversation.LastLine));
        Assert.Equal(
            [new(MessageRole.System, "Be terse."), new(MessageRole.User, "hi"), new CanonicalMessage(MessageRole.Assistant, "hello")],
            conversation.Messages);
    }

    [Fact]
    public void Reads_a_json_array_with_element_keys_and_lines()
    {
        const string document = """
            [
              {"messages": [{"role": "user", "content": "a"}]},
              {"messages": [
                {"role": "user", "content": "b"}
              ]}
            ]
            """;

        var outcome = ParseOutcome.Parse(Parser, document);

        Assert.Empty(outcome.Skipped);
        Assert.Equal(["f.jsonl#0", "f.jsonl#1"], outcome.Conversations.Select(c => c.ConversationKey));
        Assert.Equal([(2L, 2L), (3L, 5L)], outcome.Conversations.Select(c => (c.FirstLine, c.LastLine)));
        Assert.Equal("b", outcome.Conversations[1].Messages[0].Text);
    }

    [Fact]
    public void Skips_an_array_element_of_the_wrong_shape_with_its_line_and_index()
    {
        const string document = "[\n{\"messages\":[{\"role\":\"user\",\"content\":\"ok\"}]},\n{\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}\n]";

        var outcome = ParseOutcome.Parse(Parser, document);

        Assert.Single(outcome.Conversations);
        var skipped = Assert.Single(outcome.Skipped);
        Assert.Equal(3, skipped.LineNumber);
        Assert.Equal("element 1: messages[0]: unknown role 'wizard'", skipped.Reason);
    }

    [Fact]
    public void Does_not_parse_a_document_before_the_file_is_complete()
    {
        const string document = "{\n  \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]\n}\n";

        var outcome = ParseOutcome.Parse(Parser, document, complete: false);

        Assert.Empty(outcome.Conversations);
        Assert.Equal(new ParseCompleted(0, 1), outcome.Completed);
    }

    [Fact]
    public void Quarantines_a_broken_json_document_naming_the_line()
    {
        const string document = "{\n  \"messages\": [\n    {\"role\": \"user\" \"content\": \"hi\"}\n  ]\n}\n";

        var outcome = ParseOutcome.Parse(Parser, document);

        Assert.NotNull(outcome.Quarantine);
        Assert.StartsWith("invalid JSON document (line 3,", outcome.Quarantine.Reason);
    }

    [Theory]
    [InlineData("""{"messages":"hello"}""", "'messages' is a string, not an array")]
    [InlineData("""{"prompt":"hello"}""", "no 'messages' array")]
    [InlineData("""{"messages":[]}""", "'messages' is empty")]
    [InlineData("""{"messages":[{"content":"x"}]}""", "messages[0]: missing 'role'")]
    [InlineData("""{"messages":[{"role":"user","content":42}]}""", "messages[0].content: expected a string, null or a list of parts, found a number")]
    [InlineData("""{"messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"arguments":"{}"}}]}]}""", "messages[0].tool_calls[0].function: missing 'name'")]
    [InlineData("""{"messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"retrieval"}]}]}""", "messages[0].tool_calls[0]: unsupported tool call type 'retrieval'")]
    [InlineData("""["messages"]""", "line: expected an object, found an array")]
    public void Skips_a_line_of_the_wrong_shape_with_a_reason(string badLine, string reason)
    {
        const string good = """{"messages":[{"role":"user","content":"ok"}]}""";

        var outcome = ParseOutcome.Parse(Parser, $"{good}\n{badLine}\n{good}\n");

        Assert.Equal([1L, 3L], outcome.Conversations.Select(c => c.FirstLine));
        Assert.Equal(new SkippedLine(2, reason), Assert.Single(outcome.Skipped));
    }

    [Fact]
    public void Refuses_a_conversation_over_the_message_limit()
    {
        var parser = new OpenAiChatParser(IngestionLimits.Default with { MaxMessagesPerConversation = 2 });
        const string three = """{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"}]}""";
        const string two = """{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}""";

        var outcome = ParseOutcome.Parse(parser, $"{two}\n{three}\n");

        Assert.Single(outcome.Conversations);
        var skipped = Assert.Single(outcome.Skipped);
        Assert.Equal(2, skipped.LineNumber);
        Assert.Contains("3 messages, more than the limit of 2", skipped.Reason);
    }
}
