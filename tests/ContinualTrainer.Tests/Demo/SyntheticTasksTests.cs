using System.Text.RegularExpressions;
using ContinualTrainer.Configuration;
using ContinualTrainer.Dataset;
using ContinualTrainer.Demo;
using ContinualTrainer.Ingestion.Conversations;

namespace ContinualTrainer.Tests.Demo;

public sealed partial class SyntheticTasksTests
{
    [Fact]
    public void The_same_seed_gives_the_same_conversations_and_another_seed_others()
    {
        var first = SyntheticTasks.Generate(7, 60);
        var again = SyntheticTasks.Generate(7, 60);
        var other = SyntheticTasks.Generate(8, 60);

        Assert.Equal(60, first.Count);
        Assert.Equal(first, again);
        Assert.Equal(first.Select(c => c.ContentHash), again.Select(c => c.ContentHash));
        Assert.NotEqual(first.Select(c => c.ContentHash), other.Select(c => c.ContentHash));
    }

    [Fact]
    public void Every_conversation_is_a_system_prompt_then_one_to_three_requests_each_answered()
    {
        foreach (var conversation in SyntheticTasks.Generate(3, 200))
        {
            var messages = conversation.Messages;
            Assert.Equal(MessageRole.System, messages[0].Role);
            var exchanges = (messages.Count - 1) / 2;
            Assert.Equal(1 + 2 * exchanges, messages.Count);
            Assert.InRange(exchanges, 1, SyntheticTasks.MaxExchanges);
            for (var i = 1; i < messages.Count; i += 2)
            {
                Assert.Equal(MessageRole.User, messages[i].Role);
                Assert.Equal(MessageRole.Assistant, messages[i + 1].Role);
            }
        }
    }

    [Fact]
    public void A_record_repeats_every_number_of_its_request()
    {
        // What makes the task learnable: the record's fields come from the request in front of it.
        foreach (var conversation in SyntheticTasks.Generate(5, 100))
        {
            for (var i = 1; i < conversation.Messages.Count; i += 2)
            {
                var (request, record) = (conversation.Messages[i].Text, conversation.Messages[i + 1].Text);
                var recordNumbers = Number().Matches(record).Select(m => m.Value).ToHashSet();
                foreach (Match number in Number().Matches(request)) Assert.Contains(number.Value, recordNumbers);
            }
        }
    }

    [SharedTheory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen2")]
    public void Every_decision_is_8_to_256_tokens_in_the_models_chat_format(string name)
    {
        var options = new DatasetOptions();
        var profile = TokenizerProfile.Load(SharedFixtures.Path("fixtures", "models", name), options);
        var decisions = 0;
        foreach (var conversation in SyntheticTasks.Generate(0, 300))
        {
            var result = profile.Extractor.Extract(conversation.Messages);
            Assert.Equal(conversation.Messages.Count(m => m.Role == MessageRole.Assistant), result.Decisions);
            Assert.Equal(0, result.TooShort);
            Assert.Equal(0, result.Truncated);
            Assert.Equal(result.Decisions, result.Examples.Count);
            foreach (var example in result.Examples)
            {
                Assert.InRange(example.DecisionLength, 8, 256);
                Assert.Equal(profile.Renderer.EndOfTurnId, example.Tokens[^1]);
            }
            decisions += result.Decisions;
        }
        Assert.InRange(decisions, 300, 300 * SyntheticTasks.MaxExchanges);
    }

    [GeneratedRegex(@"-?\d+")]
    private static partial Regex Number();
}
