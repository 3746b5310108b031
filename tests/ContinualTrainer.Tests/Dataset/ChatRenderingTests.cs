using ContinualTrainer.Dataset;
using ContinualTrainer.Dataset.Rendering;
using ContinualTrainer.Engine.Tokenization;
using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Tests.Support;
using static ContinualTrainer.Tests.Dataset.Transcripts;

namespace ContinualTrainer.Tests.Dataset;

/// <summary>
/// Each chat format renders a conversation the way its template does: the expected strings below are written
/// by hand from the templates (Qwen3's in ../shared/fixtures/tokenizers/qwen3, Llama 3.1's, the plain fallback's
/// documented layout), and compared with the decoded tokens of the examples.
/// </summary>
public sealed class ChatRenderingTests
{
    private static readonly DecisionLimits Loose = new(1, 1024, 4096);

    private const string ChatMlContext =
        "<|im_start|>system\nYou are a careful agent.<|im_end|>\n"
        + "<|im_start|>user\nList the files.<|im_end|>\n"
        + "<|im_start|>assistant\nLet me look.\n<tool_call>\n{\"name\": \"ls\", \"arguments\": {\"path\": \".\"}}\n</tool_call><|im_end|>\n"
        + "<|im_start|>user\n<tool_response>\na.txt\nb.txt\n</tool_response>\n<tool_response>\nok\n</tool_response><|im_end|>\n";

    private static readonly Lazy<BpeTokenizer> Qwen3 = new(() => BpeTokenizer.FromDirectory(TestModels.Qwen3Tokenizer));

    private static (ExtractionResult Result, BpeTokenizer Tokenizer, IChatRenderer Renderer) Extract(
        string modelDirectory, IReadOnlyList<CanonicalMessage> messages, bool includeThinking = false) =>
        Extract(BpeTokenizer.FromDirectory(modelDirectory), messages, includeThinking);

    private static (ExtractionResult Result, BpeTokenizer Tokenizer, IChatRenderer Renderer) Extract(
        BpeTokenizer tokenizer, IReadOnlyList<CanonicalMessage> messages, bool includeThinking = false)
    {
        var renderer = ChatRenderers.Create(tokenizer, null);
        return (new ExampleExtractor(tokenizer, renderer, Loose, includeThinking).Extract(messages), tokenizer, renderer);
    }

    private static string Decode(BpeTokenizer tokenizer, DerivedExample example) => tokenizer.Decode(example.Tokens);

    [SharedFact]
    public void ChatML_renders_tool_calls_and_grouped_tool_results_like_Qwen()
    {
        var (result, tokenizer, renderer) = Extract(TestModels.TinyLlama, AgentTurns());
        Assert.Equal(ChatFormat.ChatMl, renderer.Format);
        Assert.Equal(2, result.Examples.Count);

        Assert.Equal(
            "<|im_start|>system\nYou are a careful agent.<|im_end|>\n<|im_start|>user\nList the files.<|im_end|>\n<|im_start|>assistant\n"
            + "Let me look.\n<tool_call>\n{\"name\": \"ls\", \"arguments\": {\"path\": \".\"}}\n</tool_call><|im_end|>",
            Decode(tokenizer, result.Examples[0]));
        Assert.Equal(ChatMlContext + "<|im_start|>assistant\nThere are two files: a.txt and b.txt.<|im_end|>", Decode(tokenizer, result.Examples[1]));
        Assert.Equal(5, result.Examples[1].TurnIndex);
    }

    [SharedFact]
    public void Qwen3_template_keeps_its_empty_think_block_in_the_prompt_and_ids_match_encoding_the_whole_text()
    {
        var (result, tokenizer, renderer) = Extract(Qwen3.Value, AgentTurns());
        Assert.True(Assert.IsType<ChatMlRenderer>(renderer).ThinkingTemplate);

        var last = result.Examples[1];
        var context = ChatMlContext + "<|im_start|>assistant\n<think>\n\n</think>\n\n";
        const string decision = "There are two files: a.txt and b.txt.<|im_end|>";
        Assert.Equal(context + decision, Decode(tokenizer, last));
        Assert.Equal(tokenizer.Encode(context + decision), last.Tokens);
        Assert.Equal(tokenizer.Encode(context), last.Tokens[..last.DecisionStart]);
        Assert.Equal(decision, tokenizer.Decode(last.Tokens.AsSpan(last.DecisionStart)));
        Assert.Equal(tokenizer.TokenToId("<|im_end|>"), last.Tokens[^1]);
    }

    [SharedFact]
    public void Qwen3_thinking_is_left_out_by_default_and_rendered_after_the_query_when_included()
    {
        IReadOnlyList<CanonicalMessage> messages =
        [
            User("What is 2+2?"),
            new CanonicalMessage(MessageRole.Assistant, "Let me check.") { Thinking = "\nsimple sum\n", ToolCalls = [new ToolCall("c", "calc", """{"e":"2+2"}""")] },
            Tool("4"),
            new CanonicalMessage(MessageRole.Assistant, "\nIt is 4.") { Thinking = "the tool said 4" },
        ];
        var (without, tokenizer, _) = Extract(Qwen3.Value, messages);
        Assert.DoesNotContain("simple sum", Decode(tokenizer, without.Examples[1]));
        Assert.EndsWith("<|im_start|>assistant\n<think>\n\n</think>\n\nIt is 4.<|im_end|>", Decode(tokenizer, without.Examples[1]));

        var (with, _, _) = Extract(Qwen3.Value, messages, includeThinking: true);
        var second = with.Examples[1];
        Assert.Equal(
            "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
            + "<|im_start|>assistant\n<think>\nsimple sum\n</think>\n\nLet me check.\n<tool_call>\n{\"name\": \"calc\", \"arguments\": {\"e\": \"2+2\"}}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\n4\n</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\n",
            tokenizer.Decode(second.Tokens.AsSpan(0, second.DecisionStart)));
        Assert.Equal("<think>\nthe tool said 4\n</think>\n\nIt is 4.<|im_end|>", tokenizer.Decode(second.Tokens.AsSpan(second.DecisionStart)));
    }

    [SharedFact]
    public void Llama3_renders_headers_ipython_results_and_json_tool_calls()
    {
        using var dir = new TempDir();
        var (result, tokenizer, renderer) = Extract(TestModels.WriteLlama3(dir.File("llama3")), AgentTurns());
        Assert.Equal(ChatFormat.Llama3, renderer.Format);
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a careful agent.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nList the files.<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"ls\", \"parameters\": {\"path\": \".\"}}<|eot_id|>"
            + "<|start_header_id|>ipython<|end_header_id|>\n\na.txt\nb.txt<|eot_id|>"
            + "<|start_header_id|>ipython<|end_header_id|>\n\nok<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nThere are two files: a.txt and b.txt.<|eot_id|>",
            Decode(tokenizer, result.Examples[1]));
        Assert.Equal("{\"name\": \"ls\", \"parameters\": {\"path\": \".\"}}<|eot_id|>",
            tokenizer.Decode(result.Examples[0].Tokens.AsSpan(result.Examples[0].DecisionStart)));
    }

    [SharedFact]
    public void Tokenizers_without_chat_tokens_fall_back_to_the_plain_format_ended_by_eos()
    {
        using var dir = new TempDir();
        var (result, tokenizer, renderer) = Extract(TestModels.WritePlain(dir.File("plain")), AgentTurns());
        Assert.Equal(ChatFormat.Plain, renderer.Format);
        Assert.Equal(
            "System: You are a careful agent.\n\nUser: List the files.\n\n"
            + "Assistant: Let me look.\n<tool_call>\n{\"name\": \"ls\", \"arguments\": {\"path\": \".\"}}\n</tool_call><|endoftext|>\n\n"
            + "Tool: a.txt\nb.txt\n\nTool: ok\n\nAssistant: There are two files: a.txt and b.txt.<|endoftext|>",
            Decode(tokenizer, result.Examples[1]));
        Assert.Equal(tokenizer.Special.EosId, result.Examples[1].Tokens[^1]);
    }

    [SharedFact]
    public void Plain_format_without_an_eos_token_is_refused_with_a_hint()
    {
        using var dir = new TempDir();
        var tokenizer = BpeTokenizer.FromDirectory(TestModels.WritePlain(dir.File("plain"), withEos: false));
        var error = Assert.Throws<DatasetException>(() => ChatRenderers.Create(tokenizer, null));
        Assert.Contains("no EOS token", error.Message);
        Assert.Contains("Dataset:ChatFormat", error.Message);
    }

    [SharedFact]
    public void An_override_naming_a_format_the_tokenizer_lacks_is_refused()
    {
        var tokenizer = BpeTokenizer.FromDirectory(TestModels.TinyLlama);
        var error = Assert.Throws<DatasetException>(() => ChatRenderers.Create(tokenizer, ChatFormat.Llama3));
        Assert.Equal("the tokenizer has no <|start_header_id|> token, which the llama3 chat format needs; set Dataset:ChatFormat to a format it supports", error.Message);
        Assert.Equal(ChatFormat.Plain, ChatRenderers.Create(tokenizer, ChatFormat.Plain).Format);
    }

    [Theory]
    [InlineData("""{"path":"."}""", """{"path": "."}""")]
    [InlineData("""{"a":[1,2.50,{"b":null}],"c":"x\ny\u0001é\"q"}""", """{"a": [1, 2.50, {"b": null}], "c": "x\ny\u0001é\"q"}""")]
    [InlineData("""not json {""", """not json {""")]
    public void Tool_arguments_are_written_as_the_templates_tojson_writes_them(string arguments, string expected)
    {
        TemplateJson.TryReformat(arguments, out var formatted);
        Assert.Equal(expected, formatted);
    }

    [Fact]
    public void Llama3_quotes_arguments_that_are_not_json()
    {
        Assert.Equal("""{"name": "f", "parameters": "not json"}""", ToolCallText.Llama3(new ToolCall("", "f", "not json")));
        Assert.Equal("<tool_call>\n{\"name\": \"f\", \"arguments\": not json}\n</tool_call>", ToolCallText.Qwen(new ToolCall("", "f", "not json")));
    }
}
