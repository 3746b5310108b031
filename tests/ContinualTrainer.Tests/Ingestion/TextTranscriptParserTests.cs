using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;

namespace ContinualTrainer.Tests.Ingestion;

public sealed class TextTranscriptParserTests
{
    private static readonly TextTranscriptParser Parser = new(IngestionLimits.Default, TextTranscriptOptions.Default);

    [Fact]
    public void Reads_turns_with_continuation_lines_and_trims_blank_lines()
    {
        const string text = "System: You review code.\n\nUser:   Please check this:\n\n    def f(): pass\n\nAssistant:\n\nLooks fine.\nShip it.\n\n\nTool: lint ok\n";

        var conversation = ParseOutcome.Parse(Parser, text).Single();

        Assert.Equal("f.jsonl#0", conversation.ConversationKey);
        Assert.Equal((1, 13), (conversation.FirstLine, conversation.LastLine));
        CanonicalMessage[] expected =
        [
            new(MessageRole.System, "You review code."),
            new(MessageRole.User, "Please check this:\n\n    def f(): pass"),
            new(MessageRole.Assistant, "Looks fine.\nShip it."),
            new(MessageRole.Tool, "lint ok"),
        ];
        Assert.Equal(expected, conversation.Messages);
    }

    [Fact]
    public void Splits_conversations_at_separator_lines_followed_by_a_speaker()
    {
        const string text = "User: one\nAssistant: 1\n---\n\nUser: two\nAssistant: 2\n---\n";

        var outcome = ParseOutcome.Parse(Parser, text);

        Assert.Empty(outcome.Skipped);
        Assert.Equal(["f.jsonl#0", "f.jsonl#1"], outcome.Conversations.Select(c => c.ConversationKey));
        Assert.Equal(["one", "1"], outcome.Conversations[0].Messages.Select(m => m.Text));
        Assert.Equal(["two", "2"], outcome.Conversations[1].Messages.Select(m => m.Text));
        Assert.Equal((5, 6), (outcome.Conversations[1].FirstLine, outcome.Conversations[1].LastLine));
    }

    [Fact]
    public void Keeps_a_separator_line_inside_a_reply_when_no_speaker_follows()
    {
        const string text = "User: format this\nAssistant: Part one\n---\nPart two\n";

        var conversation = ParseOutcome.Parse(Parser, text).Single();

        Assert.Equal("Part one\n---\nPart two", conversation.Messages[1].Text);
    }

    [Fact]
    public void Uses_configured_prefixes_and_separator()
    {
        var parser = new TextTranscriptParser(
            IngestionLimits.Default,
            TextTranscriptOptions.Default with { UserPrefixes = ["Human:", ">>>"], AssistantPrefixes = ["AI:"], ConversationSeparator = "=====" });

        var outcome = ParseOutcome.Parse(parser, "Human: hi\nAI: hello\n=====\n>>> bye\nAI: ciao\nUser: not a prefix here\n");

        Assert.Equal(2, outcome.Conversations.Count);
        Assert.Equal([MessageRole.User, MessageRole.Assistant], outcome.Conversations[1].Messages.Select(m => m.Role));
        Assert.Equal("ciao\nUser: not a prefix here", outcome.Conversations[1].Messages[1].Text);
    }

    [Fact]
    public void Skips_text_before_the_first_speaker_line()
    {
        var outcome = ParseOutcome.Parse(Parser, "# Chat export\n\nUser: hi\nAssistant: hello\n");

        Assert.Equal(new SkippedLine(1, "text before the first speaker prefix"), Assert.Single(outcome.Skipped));
        Assert.Equal(2, Assert.Single(outcome.Conversations).Messages.Count);
    }

    [Fact]
    public void Quarantines_a_file_without_speaker_lines()
    {
        var outcome = ParseOutcome.Parse(Parser, "Dear diary,\ntoday nothing happened.\n");

        Assert.Equal("no line starts with a speaker prefix (System:, User:, Assistant:, Tool:)", outcome.Quarantine?.Reason);
    }

    [Fact]
    public void Waits_for_the_file_to_be_complete()
    {
        var outcome = ParseOutcome.Parse(Parser, "User: hi\nAssistant: hel", complete: false);

        Assert.Empty(outcome.Conversations);
        Assert.Equal(new ParseCompleted(0, 1), outcome.Completed);
    }

    [Fact]
    public void Reports_the_whole_file_consumed()
    {
        const string text = "User: hi\r\nAssistant: hello";

        var outcome = ParseOutcome.Parse(Parser, text);

        Assert.Equal(new ParseCompleted(text.Length, 3), outcome.Completed);
        Assert.Equal(["hi", "hello"], Assert.Single(outcome.Conversations).Messages.Select(m => m.Text));
    }

    [Fact]
    public void Refuses_a_conversation_over_the_message_limit()
    {
        var parser = new TextTranscriptParser(IngestionLimits.Default with { MaxMessagesPerConversation = 2 }, TextTranscriptOptions.Default);

        var outcome = ParseOutcome.Parse(parser, "User: a\nAssistant: b\nUser: c\n---\nUser: d\n");

        Assert.Equal(["f.jsonl#1"], outcome.Conversations.Select(c => c.ConversationKey));
        var skipped = Assert.Single(outcome.Skipped);
        Assert.Equal(1, skipped.LineNumber);
        Assert.Contains("3 messages, more than the limit of 2", skipped.Reason);
    }

    [Theory]
    [InlineData("")]
    [InlineData("User:\nA")]
    public void Rejects_blank_or_multi_line_prefixes(string prefix)
    {
        Assert.Throws<ArgumentException>(() => new TextTranscriptParser(IngestionLimits.Default, TextTranscriptOptions.Default with { UserPrefixes = [prefix] }));
    }
}
