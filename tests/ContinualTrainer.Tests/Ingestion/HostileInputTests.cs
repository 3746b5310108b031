using System.Text;
using ContinualTrainer.Ingestion.Formats;

namespace ContinualTrainer.Tests.Ingestion;

public sealed class HostileInputTests
{
    private const string Good = """{"messages":[{"role":"user","content":"ok"}]}""";

    private static readonly OpenAiChatParser OpenAi = new(IngestionLimits.Default);

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Join(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    [Fact]
    public void Skips_a_line_with_invalid_utf8_and_keeps_the_rest()
    {
        var bytes = Join(Utf8(Good + "\n{\"messages\":[{\"role\":\"user\",\"content\":\""), [0xC3, 0x28], Utf8("\"}]}\n" + Good + "\n"));

        var outcome = ParseOutcome.Parse(OpenAi, bytes);

        Assert.Equal([1L, 3L], outcome.Conversations.Select(c => c.FirstLine));
        Assert.Equal(new SkippedLine(2, "line is not valid UTF-8 (byte 40)"), Assert.Single(outcome.Skipped));
    }

    [Fact]
    public void Skips_a_line_with_a_nul_byte()
    {
        var bytes = Join(Utf8(Good + "\n"), Utf8("{\"messages\":[]}"), [0], Utf8("\n" + Good));

        var outcome = ParseOutcome.Parse(OpenAi, bytes);

        Assert.Equal(new SkippedLine(2, "line contains a NUL byte at byte 16 (binary data)"), Assert.Single(outcome.Skipped));
        Assert.Equal(2, outcome.Conversations.Count);
    }

    [Fact]
    public void Skips_a_string_with_a_lone_surrogate_escape()
    {
        var outcome = ParseOutcome.Parse(OpenAi, """{"messages":[{"role":"user","content":"\ud800"}]}""" + "\n" + Good);

        var skipped = Assert.Single(outcome.Skipped);
        Assert.Equal(1, skipped.LineNumber);
        Assert.StartsWith("messages[0].content: invalid string", skipped.Reason);
    }

    [Fact]
    public void Skips_json_nested_deeper_than_the_limit_and_accepts_it_under_a_higher_one()
    {
        var deep = """{"messages":[{"role":"user","content":"x","extra":""" + new string('[', 100) + new string(']', 100) + "}]}";

        var strict = ParseOutcome.Parse(OpenAi, Good + "\n" + deep + "\n");
        var lenient = ParseOutcome.Parse(new OpenAiChatParser(IngestionLimits.Default with { MaxJsonDepth = 128 }), Good + "\n" + deep + "\n");

        var skipped = Assert.Single(strict.Skipped);
        Assert.Equal(2, skipped.LineNumber);
        Assert.Contains("maximum configured depth of 64", skipped.Reason);
        Assert.Empty(lenient.Skipped);
        Assert.Equal([1L, 2L], lenient.Conversations.Select(c => c.FirstLine));
    }

    [Fact]
    public void Quarantines_a_json_document_nested_deeper_than_the_limit()
    {
        var deep = "{\n\"messages\": " + new string('[', 80) + new string(']', 80) + "\n}";

        var outcome = ParseOutcome.Parse(OpenAi, deep);

        Assert.StartsWith("invalid JSON document (line 2,", outcome.Quarantine?.Reason);
        Assert.Contains("maximum configured depth of 64", outcome.Quarantine?.Reason);
    }

    [Fact]
    public void Skips_a_line_longer_than_the_limit_and_keeps_counting_lines()
    {
        var parser = new OpenAiChatParser(IngestionLimits.Default with { MaxLineBytes = 100 });
        var huge = """{"messages":[{"role":"user","content":" """ + new string('x', 300_000) + "\"}]}";

        var outcome = ParseOutcome.Parse(parser, Good + "\n" + huge + "\n" + Good + "\n");

        Assert.Equal(new SkippedLine(2, "line is longer than 100 bytes (IngestionLimits.MaxLineBytes)"), Assert.Single(outcome.Skipped));
        Assert.Equal([1L, 3L], outcome.Conversations.Select(c => c.FirstLine));
        Assert.Equal(new ParseCompleted(Encoding.UTF8.GetByteCount(Good + "\n" + huge + "\n" + Good + "\n"), 4), outcome.Completed);
    }

    [Fact]
    public void Does_not_consume_an_unfinished_over_long_last_line()
    {
        var parser = new OpenAiChatParser(IngestionLimits.Default with { MaxLineBytes = 100 });

        var outcome = ParseOutcome.Parse(parser, Good + "\n" + new string('x', 5000), complete: false);

        Assert.Empty(outcome.Skipped);
        Assert.Equal(new ParseCompleted(Good.Length + 1, 2), outcome.Completed);
    }

    [Fact]
    public void Tolerates_a_utf8_bom_and_crlf_line_endings()
    {
        var bytes = Join(Encoding.UTF8.GetPreamble(), Utf8(Good + "\r\n\r\n" + Good + "\r\n"));

        var outcome = ParseOutcome.Parse(OpenAi, bytes);

        Assert.Empty(outcome.Skipped);
        Assert.Equal(["f.jsonl#L1", "f.jsonl#L3"], outcome.Conversations.Select(c => c.ConversationKey));
        Assert.Equal(new ParseCompleted(bytes.Length, 4), outcome.Completed);
    }

    [Fact]
    public void Text_transcript_with_bom_and_crlf_keeps_no_carriage_returns()
    {
        var parser = new TextTranscriptParser(IngestionLimits.Default, TextTranscriptOptions.Default);
        var bytes = Join(Encoding.UTF8.GetPreamble(), Utf8("User: a\r\nb\r\nAssistant: c\r\n"));

        var conversation = ParseOutcome.Parse(parser, bytes).Single();

        Assert.Equal(["a\nb", "c"], conversation.Messages.Select(m => m.Text));
    }

    [Fact]
    public void Quarantines_binary_garbage_forced_through_a_json_parser()
    {
        var garbage = new byte[4096];
        new Random(7).NextBytes(garbage);

        var outcome = ParseOutcome.Parse(OpenAi, garbage);

        Assert.NotNull(outcome.Quarantine);
        Assert.StartsWith("no line could be parsed (line 1:", outcome.Quarantine.Reason);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'U', (byte)'s', (byte)'e', (byte)'r', (byte)':', (byte)' ', (byte)'a', (byte)'\n', 0xFF, (byte)'\n' }, "line 2 is not valid UTF-8 (byte 1)")]
    [InlineData(new byte[] { (byte)'U', (byte)'s', (byte)'e', (byte)'r', (byte)':', (byte)' ', 0, (byte)'\n' }, "line 1 contains a NUL byte at byte 7 (binary data)")]
    public void Quarantines_a_text_transcript_that_is_not_clean_utf8(byte[] bytes, string reason)
    {
        var parser = new TextTranscriptParser(IngestionLimits.Default, TextTranscriptOptions.Default);

        var outcome = ParseOutcome.Parse(parser, bytes);

        Assert.Empty(outcome.Conversations);
        Assert.Equal(reason, outcome.Quarantine?.Reason);
    }

    [Fact]
    public void Quarantines_a_text_transcript_with_an_over_long_line()
    {
        var parser = new TextTranscriptParser(IngestionLimits.Default with { MaxLineBytes = 64 }, TextTranscriptOptions.Default);

        var outcome = ParseOutcome.Parse(parser, "User: hi\nAssistant: " + new string('z', 100) + "\n");

        Assert.Equal("line 2 is longer than 64 bytes (IngestionLimits.MaxLineBytes)", outcome.Quarantine?.Reason);
    }

    [Fact]
    public void Quarantines_a_json_document_that_is_not_utf8()
    {
        var bytes = Join(Utf8("[\n{\"messages\":[{\"role\":\"user\",\"content\":\""), [0xE2, 0x28, 0xA1], Utf8("\"}]}\n]"));

        var outcome = ParseOutcome.Parse(OpenAi, bytes);

        Assert.Equal("line 2 is not valid UTF-8", outcome.Quarantine?.Reason);
    }

    [Fact]
    public void Every_parser_quarantines_a_file_over_the_size_limit_unread()
    {
        var limits = IngestionLimits.Default with { MaxFileBytes = Good.Length };
        IConversationParser[] parsers =
        [
            new OpenAiChatParser(limits), new ShareGptParser(limits), new AgentLogParser(limits), new TextTranscriptParser(limits, TextTranscriptOptions.Default),
        ];

        foreach (var parser in parsers)
        {
            var outcome = ParseOutcome.Parse(parser, Good + "\n");
            Assert.Equal($"file is {Good.Length + 1} bytes, more than the limit of {Good.Length} (IngestionLimits.MaxFileBytes)", outcome.Quarantine?.Reason);
        }
    }

    [Fact]
    public void Random_bytes_never_throw_and_always_end_with_one_terminal_record()
    {
        var random = new Random(1234);
        var limits = IngestionLimits.Default with { MaxLineBytes = 512 };
        IConversationParser[] parsers =
        [
            new OpenAiChatParser(limits), new ShareGptParser(limits), new AgentLogParser(limits), new TextTranscriptParser(limits, TextTranscriptOptions.Default),
        ];
        var alphabet = Utf8("{}[]\":,\n\r\\ ab01\u00e9nulltrue\"messages\"\"role\"\"content\"\"type\"\"sessionId\"User:");
        for (var round = 0; round < 200; round++)
        {
            var bytes = new byte[random.Next(0, 2000)];
            for (var i = 0; i < bytes.Length; i++) bytes[i] = round % 2 == 0 ? alphabet[random.Next(alphabet.Length)] : (byte)random.Next(256);
            foreach (var parser in parsers)
            {
                ParseOutcome.Parse(parser, bytes, complete: round % 3 != 0);
            }
            using var stream = new MemoryStream(bytes);
            new FormatDetector(limits, TextTranscriptOptions.Default).Detect(stream, fileIsComplete: true);
        }
    }
}
