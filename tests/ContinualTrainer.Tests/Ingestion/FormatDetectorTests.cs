using System.Text;
using ContinualTrainer.Ingestion.Formats;

namespace ContinualTrainer.Tests.Ingestion;

public sealed class FormatDetectorTests
{
    private static readonly FormatDetector Detector = new(IngestionLimits.Default, TextTranscriptOptions.Default);

    private static FormatDetection Detect(string text, bool complete = true) => Detect(Encoding.UTF8.GetBytes(text), complete);

    private static FormatDetection Detect(byte[] bytes, bool complete = true)
    {
        using var stream = new MemoryStream(bytes);
        return Detector.Detect(stream, complete);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""" + "\n", ConversationFormat.OpenAi)]
    [InlineData("{\n  \"model\": \"x\",\n  \"messages\": [\n", ConversationFormat.OpenAi)]
    [InlineData("""[{"messages":[]}]""", ConversationFormat.OpenAi)]
    [InlineData("""{"conversations":[{"from":"human","value":"hi"}]}""", ConversationFormat.ShareGpt)]
    [InlineData("[\n  {\n    \"id\": 1,\n    \"conversations\": [\n", ConversationFormat.ShareGpt)]
    [InlineData("""{"type":"summary","summary":"s","leafUuid":"u"}""" + "\n" + """{"type":"user","sessionId":"S","message":{"content":"x"}}""" + "\n", ConversationFormat.AgentLog)]
    [InlineData("User: hi\nAssistant: hello\n", ConversationFormat.Text)]
    [InlineData("Transcript of a call\n\nSystem: be nice\n", ConversationFormat.Text)]
    public void Detects_the_format_from_the_first_lines(string head, ConversationFormat format)
    {
        Assert.Equal(FormatDetection.Detected(format), Detect(head));
    }

    [Fact]
    public void Detects_past_a_byte_order_mark_and_crlf_endings()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("{\"conversations\":[]}\r\n")).ToArray();

        Assert.Equal(FormatDetection.Detected(ConversationFormat.ShareGpt), Detect(bytes));
    }

    [Fact]
    public void Detects_jsonl_whose_first_line_is_longer_than_the_detection_head()
    {
        var line = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('x', FormatDetector.HeadBytes) + "\"}]}\n";

        Assert.Equal(FormatDetection.Detected(ConversationFormat.OpenAi), Detect(line + line));
    }

    [Fact]
    public void Override_by_name_wins_without_reading()
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes("User: hi\n"));

        Assert.Equal(FormatDetection.Detected(ConversationFormat.AgentLog), Detector.Detect(stream, true, "agent-log"));
        Assert.Equal(0, stream.Position);
    }

    [Fact]
    public void Unknown_override_name_is_rejected_with_the_valid_names()
    {
        var error = Assert.Throws<ArgumentException>(() => Detector.Detect(new MemoryStream(), true, "chatml"));

        Assert.Contains("'openai', 'sharegpt', 'agent-log' or 'text'", error.Message);
    }

    [Fact]
    public void Restores_the_stream_position()
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes("User: hi\n"));
        stream.Position = 3;

        Detector.Detect(stream, true);

        Assert.Equal(3, stream.Position);
    }

    [Theory]
    [InlineData("""{"type":"summary","summary":"s"}""" + "\n")]
    [InlineData("""{"messa""")]
    [InlineData("User: hi")]
    [InlineData("")]
    public void Is_undetermined_while_the_first_decisive_line_is_unwritten(string head)
    {
        Assert.True(Detect(head, complete: false).IsUndetermined);
    }

    [Theory]
    [InlineData("", "file is empty")]
    [InlineData("\n \n", "file holds only blank lines")]
    [InlineData("""{"prompt":"x","completion":"y"}""", "JSON of no known shape")]
    [InlineData("[1, 2, 3]", "JSON of no known shape")]
    [InlineData("Dear diary,\n", "not JSON, and no line starts with a speaker prefix (System:, User:, Assistant:, Tool:)")]
    public void Rejects_a_complete_file_of_no_known_format(string text, string reason)
    {
        var detection = Detect(text);

        Assert.Null(detection.Format);
        Assert.StartsWith(reason, detection.Rejection?.Reason);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE, (byte)'U', 0 }, "file is UTF-16 (little-endian BOM); only UTF-8 is read")]
    [InlineData(new byte[] { 0xFE, 0xFF, 0, (byte)'U' }, "file is UTF-16 (big-endian BOM); only UTF-8 is read")]
    [InlineData(new byte[] { 0xFF, 0xFE, 0, 0, (byte)'U', 0, 0, 0 }, "file is UTF-32 (little-endian BOM); only UTF-8 is read")]
    [InlineData(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0, 0, 0 }, "line 1 contains a NUL byte at byte 8 (binary data)")]
    [InlineData(new byte[] { (byte)'U', (byte)'s', (byte)'e', (byte)'r', (byte)':', 0xC3, 0x28, (byte)'\n' }, "line 1 is not valid UTF-8 (byte 6)")]
    public void Rejects_binary_and_non_utf8_files(byte[] bytes, string reason)
    {
        Assert.Equal(FormatDetection.Rejected(reason), Detect(bytes));
    }

    [Fact]
    public void Rejects_a_file_over_the_size_limit_unread()
    {
        var detector = new FormatDetector(IngestionLimits.Default with { MaxFileBytes = 10 }, TextTranscriptOptions.Default);

        var detection = detector.Detect(new MemoryStream(new byte[11]), true);

        Assert.Equal("file is 11 bytes, more than the limit of 10 (IngestionLimits.MaxFileBytes)", detection.Rejection?.Reason);
    }

    [Theory]
    [InlineData("openai", ConversationFormat.OpenAi)]
    [InlineData("sharegpt", ConversationFormat.ShareGpt)]
    [InlineData("agent-log", ConversationFormat.AgentLog)]
    [InlineData("text", ConversationFormat.Text)]
    public void Format_names_round_trip_and_create_the_matching_parser(string name, ConversationFormat format)
    {
        Assert.Equal(format, ConversationFormatNames.Parse(name));
        Assert.Equal(name, format.ToName());
        Assert.Equal(format, ConversationParsers.Create(format, IngestionLimits.Default, TextTranscriptOptions.Default).Format);
    }
}
