using System.Text.RegularExpressions;
using ContinualTrainer.Bootstrap;
using ContinualTrainer.Dataset.General;

namespace ContinualTrainer.Tests.Bootstrap;

public sealed partial class ChatFramesTests
{
    private static readonly CorpusDocument[] Documents =
        [.. Enumerable.Range(0, 40).Select(i => new CorpusDocument("general.txt", 2 * i + 1, $"Paragraph {i}\nends here."))];

    [Fact]
    public void Renders_every_document_once_in_order_as_chatml_turns()
    {
        var conversations = ChatFrames.Render(Documents, seed: 3).ToList();

        Assert.All(conversations, c => Assert.Equal(c, string.Concat(Turn().Matches(c).Select(m => m.Value))));
        var contents = conversations.SelectMany(c => Turn().Matches(c)).Select(t => t.Groups["content"].Value);
        Assert.Equal(Documents.Select(d => d.Text), contents.Select(c => Regex.Replace(c, "^> .*\n", "")));
    }

    [Fact]
    public void Each_conversation_is_an_optional_system_turn_then_alternating_user_and_assistant_turns()
    {
        var conversations = ChatFrames.Render(Documents, seed: 5).ToList();

        foreach (var roles in conversations.Select(c => Turn().Matches(c).Select(m => m.Groups["role"].Value).ToList()))
        {
            var exchange = roles[0] == "system" ? roles[1..] : roles;
            Assert.InRange(exchange.Count, 1, 2 * ChatFrames.MaxExchanges);
            Assert.Equal(Enumerable.Range(0, exchange.Count).Select(i => i % 2 == 0 ? "user" : "assistant"), exchange);
        }
        Assert.Contains(conversations, c => c.StartsWith("<|im_start|>system\n", StringComparison.Ordinal));
        Assert.Contains(conversations, c => c.StartsWith("<|im_start|>user\n", StringComparison.Ordinal));
    }

    [Fact]
    public void Some_answers_open_by_quoting_the_first_line_of_their_request()
    {
        var turns = ChatFrames.Render(Documents, seed: 3).SelectMany(c => Turn().Matches(c)).ToList();

        var quoting = turns.Where(t => t.Groups["content"].Value.StartsWith("> ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(quoting);
        Assert.NotEqual(turns.Count(t => t.Groups["role"].Value == "assistant"), quoting.Count);
        foreach (var answer in quoting)
        {
            var request = turns[turns.IndexOf(answer) - 1].Groups;
            Assert.Equal("user", request["role"].Value);
            Assert.StartsWith("> " + request["content"].Value.Split('\n')[0] + "\n", answer.Groups["content"].Value, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_same_seed_renders_the_same_conversations()
    {
        Assert.Equal(ChatFrames.Render(Documents, 7), ChatFrames.Render(Documents, 7));
        Assert.NotEqual(ChatFrames.Render(Documents, 7), ChatFrames.Render(Documents, 8));
    }

    [GeneratedRegex(@"<\|im_start\|>(?<role>[a-z]+)\n(?<content>(?:(?!<\|im_).)*?)<\|im_end\|>\n", RegexOptions.Singleline)]
    private static partial Regex Turn();
}
