using ContinualTrainer.Dataset;
using ContinualTrainer.Dataset.Rendering;
using ContinualTrainer.Engine.Tokenization;
using ContinualTrainer.Ingestion.Conversations;
using static ContinualTrainer.Tests.Dataset.Transcripts;

namespace ContinualTrainer.Tests.Dataset;

public sealed class ExampleExtractorTests
{
    private static readonly Lazy<BpeTokenizer> Tiny = new(() => BpeTokenizer.FromDirectory(TestModels.TinyLlama));

    private static ExampleExtractor Extractor(int min, int max, int context) =>
        new(Tiny.Value, ChatRenderers.Create(Tiny.Value, null), new DecisionLimits(min, max, context), includeThinking: false);

    [SharedFact]
    public void Every_assistant_turn_is_a_decision_including_turns_that_only_call_tools()
    {
        IReadOnlyList<CanonicalMessage> messages =
        [
            User("Find the biggest file in the project folder."),
            Assistant("", new ToolCall("1", "du", """{"dir":"src","depth":1}""")),
            Tool("src/a 10\nsrc/b 99"),
            Assistant("The biggest is src/b with 99 blocks."),
        ];
        var result = Extractor(1, 256, 2048).Extract(messages);
        Assert.Equal(2, result.Decisions);
        Assert.Equal([1, 3], result.Examples.Select(e => e.TurnIndex));
        Assert.Equal("<tool_call>\n{\"name\": \"du\", \"arguments\": {\"dir\": \"src\", \"depth\": 1}}\n</tool_call>", result.Examples[0].DecisionText);
    }

    [SharedFact]
    public void Decision_tokens_decode_to_the_assistant_text_and_the_end_of_turn_token()
    {
        var result = Extractor(1, 256, 2048).Extract(AgentTurns());
        foreach (var example in result.Examples)
        {
            var decision = example.Tokens.AsSpan(example.DecisionStart, example.DecisionLength);
            Assert.Equal(example.DecisionText + "<|im_end|>", Tiny.Value.Decode(decision));
            Assert.Equal(example.Tokens.Length, example.DecisionStart + example.DecisionLength);
            Assert.EndsWith("<|im_start|>assistant\n", Tiny.Value.Decode(example.Tokens.AsSpan(0, example.DecisionStart)));
            Assert.Equal(Tiny.Value.Encode(example.DecisionText + "<|im_end|>"), decision.ToArray());
        }
    }

    [SharedFact]
    public void Decisions_shorter_than_the_minimum_are_dropped_and_counted()
    {
        IReadOnlyList<CanonicalMessage> messages = [User("Hi"), Assistant("OK"), User("And now a long one please"), Assistant(LongText(12))];
        var okTokens = Tiny.Value.Encode("OK<|im_end|>").Length;
        var result = Extractor(okTokens + 1, 256, 2048).Extract(messages);
        Assert.Equal(2, result.Decisions);
        Assert.Equal(1, result.TooShort);
        Assert.Equal(3, Assert.Single(result.Examples).TurnIndex);

        Assert.Equal(0, Extractor(okTokens, 256, 2048).Extract(messages).TooShort);
    }

    [SharedFact]
    public void Decisions_longer_than_the_maximum_are_cut_at_it()
    {
        var text = LongText(40);
        var full = Tiny.Value.Encode(text + "<|im_end|>");
        var result = Extractor(1, 16, 2048).Extract([User("Tell me"), Assistant(text)]);
        var example = Assert.Single(result.Examples);
        Assert.Equal(1, result.Truncated);
        Assert.True(example.Truncated);
        Assert.Equal(16, example.DecisionLength);
        Assert.Equal(full[..16], example.Tokens[example.DecisionStart..]);
    }

    [SharedFact]
    public void Long_contexts_are_cut_from_the_front_keeping_the_system_prompt()
    {
        var system = SystemPrompt("You are the system prompt and you stay.");
        var messages = new List<CanonicalMessage> { system };
        for (var i = 0; i < 30; i++)
        {
            messages.Add(User($"Question {i}: " + LongText(10)));
            messages.Add(Assistant($"Answer {i}: " + LongText(10)));
        }
        const int budget = 200;
        var result = Extractor(1, 256, budget).Extract(messages);
        var last = result.Examples[^1];
        var context = last.Tokens[..last.DecisionStart];
        var systemTokens = Tiny.Value.Encode("<|im_start|>system\nYou are the system prompt and you stay.<|im_end|>\n");
        var header = Tiny.Value.Encode("<|im_start|>assistant\n");

        Assert.Equal(budget, context.Length);
        Assert.Equal(systemTokens, context[..systemTokens.Length]);
        Assert.Equal(header, context[^header.Length..]);
        var untrimmed = Extractor(1, 256, 100_000).Extract(messages).Examples[^1];
        var tail = budget - systemTokens.Length;
        Assert.Equal(untrimmed.Tokens[(untrimmed.DecisionStart - tail)..untrimmed.DecisionStart], context[systemTokens.Length..]);
        Assert.True(untrimmed.DecisionStart > budget);
    }

    [SharedFact]
    public void Identical_examples_have_the_same_hash_and_different_ones_do_not()
    {
        var a = Extractor(1, 256, 2048).Extract(AgentTurns()).Examples;
        var b = Extractor(1, 256, 2048).Extract(AgentTurns()).Examples;
        Assert.Equal(a.Select(e => e.ContentHash), b.Select(e => e.ContentHash));
        Assert.NotEqual(a[0].ContentHash, a[1].ContentHash);
        Assert.Equal(ExampleExtractor.Hash(a[1].Tokens, a[1].DecisionStart), a[1].ContentHash);
        Assert.NotEqual(ExampleExtractor.Hash(a[1].Tokens, a[1].DecisionStart + 1), a[1].ContentHash);
    }

    private static string LongText(int words) =>
        string.Join(' ', Enumerable.Range(0, words).Select(i => (i % 4) switch { 0 => "alpha", 1 => "beta", 2 => "gamma", _ => "delta" }));
}
