using System.Text;
using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Ingestion;

/// <summary>Growing files on disk, parsed run after run from the offset the previous run reported.</summary>
public sealed class IncrementalParsingTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    private static string Chat(string user) => $$"""{"messages":[{"role":"user","content":"{{user}}"},{"role":"assistant","content":"ok"}]}""";

    private static int Bytes(string text) => Encoding.UTF8.GetByteCount(text);

    private void Append(string path, string text)
    {
        using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        stream.Write(Encoding.UTF8.GetBytes(text));
    }

    private static ParseOutcome Run(IConversationParser parser, string path, bool complete, ParseCompleted? resume)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var request = new ParseRequest("chat.jsonl", complete, resume?.EndOffset ?? 0, resume?.NextLineNumber ?? 1);
        return ParseOutcome.Of(parser.Parse(stream, request));
    }

    [Fact]
    public void Resumes_exactly_after_the_last_complete_line_across_appends()
    {
        var parser = new OpenAiChatParser(IngestionLimits.Default);
        var path = dir.File("chat.jsonl");
        var line3 = Chat("three ü");
        File.WriteAllText(path, Chat("one") + "\n" + Chat("two") + "\r\n" + line3[..20]);

        var first = Run(parser, path, complete: false, resume: null);

        Assert.Equal(["one", "two"], first.Conversations.Select(c => c.Messages[0].Text));
        Assert.Equal(new ParseCompleted(Bytes(Chat("one") + "\n" + Chat("two") + "\r\n"), 3), first.Completed);

        Append(path, line3[20..] + "\n" + Chat("four")[..5]);
        var second = Run(parser, path, complete: false, resume: first.Completed);

        var conversation = Assert.Single(second.Conversations);
        Assert.Equal(("chat.jsonl#L3", "three ü"), (conversation.ConversationKey, conversation.Messages[0].Text));
        Assert.Equal(new ParseCompleted(first.Completed!.EndOffset + Bytes(line3 + "\n"), 4), second.Completed);

        Append(path, Chat("four")[5..]);
        var notYet = Run(parser, path, complete: false, resume: second.Completed);
        Assert.Empty(notYet.Conversations);
        Assert.Equal(second.Completed, notYet.Completed);

        var last = Run(parser, path, complete: true, resume: second.Completed);
        Assert.Equal("chat.jsonl#L4", Assert.Single(last.Conversations).ConversationKey);
        Assert.Equal(new ParseCompleted(new FileInfo(path).Length, 5), last.Completed);
    }

    [Fact]
    public void Does_not_consume_a_line_cut_inside_a_multibyte_character()
    {
        var parser = new OpenAiChatParser(IngestionLimits.Default);
        var path = dir.File("chat.jsonl");
        var bytes = Encoding.UTF8.GetBytes(Chat("日本") + "\n");
        var cut = Array.IndexOf(bytes, (byte)0xE6) + 1;
        File.WriteAllBytes(path, bytes[..cut]);

        var first = Run(parser, path, complete: false, resume: null);
        Assert.Empty(first.Conversations);
        Assert.Empty(first.Skipped);
        Assert.Equal(new ParseCompleted(0, 1), first.Completed);

        using (var stream = new FileStream(path, FileMode.Append)) stream.Write(bytes[cut..]);
        var second = Run(parser, path, complete: false, resume: first.Completed);

        Assert.Equal("日本", Assert.Single(second.Conversations).Messages[0].Text);
    }

    [Fact]
    public void Agent_log_runs_extend_to_the_same_conversation_as_one_whole_read()
    {
        var parser = new AgentLogParser(IngestionLimits.Default);
        string[] lines =
        [
            """{"type":"user","sessionId":"S","timestamp":"2025-03-01T09:00:01Z","message":{"role":"user","content":"list files"}}""",
            """{"type":"assistant","sessionId":"S","timestamp":"2025-03-01T09:00:02Z","message":{"role":"assistant","content":[{"type":"text","text":"Listing."}]}}""",
            """{"type":"assistant","sessionId":"S","timestamp":"2025-03-01T09:00:03Z","message":{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"ls"}}]}}""",
            """{"type":"user","sessionId":"S","timestamp":"2025-03-01T09:00:04Z","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"a.txt"}]}}""",
            """{"type":"assistant","sessionId":"S","timestamp":"2025-03-01T09:00:05Z","message":{"role":"assistant","content":"One file: a.txt."}}""",
        ];
        var path = dir.File("session.jsonl");
        File.WriteAllText(path, lines[0] + "\n" + lines[1] + "\n");

        var first = Run(parser, path, complete: false, resume: null);
        Append(path, string.Join("\n", lines[2..]) + "\n");
        var second = Run(parser, path, complete: false, resume: first.Completed);
        ParseOutcome events;
        using (var stream = File.OpenRead(path))
        {
            var resume = first.Completed!;
            events = ParseOutcome.Of(parser.ReadEvents(stream, new ParseRequest("chat.jsonl", false, resume.EndOffset, resume.NextLineNumber)));
        }
        var whole = Run(parser, path, complete: false, resume: null);

        Assert.Equal((3, 5), (second.Conversations[0].FirstLine, second.Conversations[0].LastLine));
        var extended = AgentLogSessionBuilder.Extend(Assert.Single(first.Conversations), events.Events, IngestionLimits.Default).Conversation;
        Assert.Equal(Assert.Single(whole.Conversations), extended);
        Assert.Equal(
            [MessageRole.User, MessageRole.Assistant, MessageRole.Tool, MessageRole.Assistant],
            extended!.Messages.Select(m => m.Role));
        Assert.Equal(second.Completed, whole.Completed);
    }

    [Fact]
    public void Bad_lines_in_an_appended_part_are_skipped_without_quarantining_the_file()
    {
        var parser = new OpenAiChatParser(IngestionLimits.Default);
        var path = dir.File("chat.jsonl");
        File.WriteAllText(path, Chat("one") + "\n");
        var first = Run(parser, path, complete: false, resume: null);

        Append(path, "garbage\n");
        var second = Run(parser, path, complete: false, resume: first.Completed);

        Assert.Null(second.Quarantine);
        Assert.Equal(2, Assert.Single(second.Skipped).LineNumber);
        Assert.Equal(new ParseCompleted(Bytes(Chat("one") + "\ngarbage\n"), 3), second.Completed);
    }

    [Fact]
    public void A_json_document_is_parsed_whole_once_complete_whatever_the_resume_offset()
    {
        var parser = new ShareGptParser(IngestionLimits.Default);
        var path = dir.File("chat.json");
        const string document = "[\n  {\"conversations\": [{\"from\": \"human\", \"value\": \"hi\"}]}\n]\n";
        File.WriteAllText(path, document);

        var before = Run(parser, path, complete: false, resume: null);
        var after = Run(parser, path, complete: true, resume: new ParseCompleted(10, 2));

        Assert.Empty(before.Conversations);
        Assert.Equal(new ParseCompleted(0, 1), before.Completed);
        Assert.Equal("chat.jsonl#0", Assert.Single(after.Conversations).ConversationKey);
        Assert.Equal(new ParseCompleted(Bytes(document), 4), after.Completed);
    }

    [Fact]
    public void Resuming_past_the_end_of_a_truncated_file_is_refused()
    {
        var path = dir.File("chat.jsonl");
        File.WriteAllText(path, Chat("one") + "\n");
        using var stream = File.OpenRead(path);

        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => new AgentLogParser(IngestionLimits.Default).Parse(stream, new ParseRequest("chat.jsonl", false, 10_000, 40)));

        Assert.Contains("resume offset 10000 is beyond the end of the file", error.Message);
    }
}
