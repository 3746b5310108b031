using System.Buffers;
using System.Text.Json;

namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// Decides which parser reads a file from its first bytes (at most <see cref="HeadBytes"/>), unless the
/// configuration names the format.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>UTF-16/UTF-32 byte-order marks are rejected (only UTF-8 is read); a UTF-8 BOM is skipped.</item>
/// <item>First non-blank byte '{': each complete line (JSONL) — or, when the first line is not a complete value, the
/// document — is classified by its top-level keys: <c>messages</c> → openai, <c>conversations</c> → sharegpt,
/// <c>type</c> with <c>sessionId</c> → agent-log. Lines of other shapes (an agent log's <c>summary</c> events) are
/// passed over.</item>
/// <item>First non-blank byte '[': the array's first classifiable element decides, by the same keys.</item>
/// <item>Anything else: text, when the head is NUL-free UTF-8 and a line starts with a speaker prefix.</item>
/// </list>
/// Lines are only judged once complete: until the first decisive line is written, a growing file is undetermined.
/// </remarks>
public sealed class FormatDetector
{
    /// <summary>How much of a file detection reads at most.</summary>
    public const int HeadBytes = 1 << 20;

    private readonly IngestionLimits limits;
    private readonly IReadOnlyList<string> prefixes;
    private readonly byte[][] prefixBytes;

    public FormatDetector(IngestionLimits limits, TextTranscriptOptions textOptions)
    {
        this.limits = limits.Validate();
        textOptions.Validate();
        prefixes = [.. textOptions.SystemPrefixes, .. textOptions.UserPrefixes, .. textOptions.AssistantPrefixes, .. textOptions.ToolPrefixes];
        prefixBytes = prefixes.Select(System.Text.Encoding.UTF8.GetBytes).ToArray();
    }

    /// <summary>
    /// The format of the file in <paramref name="stream"/> (seekable; its position is restored), or the one
    /// named by <paramref name="formatOverride"/> (<c>openai</c>, <c>sharegpt</c>, <c>agent-log</c>, <c>text</c>),
    /// which is used without reading. Throws <see cref="ArgumentException"/> for an unknown override name.
    /// </summary>
    public FormatDetection Detect(Stream stream, bool fileIsComplete, string? formatOverride = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (formatOverride is not null) return FormatDetection.Detected(ConversationFormatNames.Parse(formatOverride));
        if (!stream.CanSeek) throw new ArgumentException("format detection needs a seekable stream", nameof(stream));
        if (FileLimits.TooLarge(stream, limits) is { } tooLarge) return new FormatDetection(null, tooLarge);
        var position = stream.Position;
        var buffer = ArrayPool<byte>.Shared.Rent(HeadBytes);
        try
        {
            stream.Seek(0, SeekOrigin.Begin);
            var read = stream.ReadAtLeast(buffer.AsSpan(0, HeadBytes), HeadBytes, throwOnEndOfStream: false);
            var whole = fileIsComplete && read < HeadBytes;
            return Detect(buffer.AsSpan(0, read), whole, truncated: read == HeadBytes);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            stream.Position = position;
        }
    }

    /// <summary>
    /// The format of a file whose first bytes are <paramref name="head"/>. <paramref name="headIsWholeFile"/>:
    /// the head is the complete, finished file (its last line counts even without '\n'). <paramref name="truncated"/>:
    /// the file goes on beyond the head, so what the head does not show will not be found by waiting.
    /// </summary>
    public FormatDetection Detect(ReadOnlySpan<byte> head, bool headIsWholeFile, bool truncated = false)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE, 0x00, 0x00])) return FormatDetection.Rejected("file is UTF-32 (little-endian BOM); only UTF-8 is read");
        if (head.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFE, 0xFF])) return FormatDetection.Rejected("file is UTF-32 (big-endian BOM); only UTF-8 is read");
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE])) return FormatDetection.Rejected("file is UTF-16 (little-endian BOM); only UTF-8 is read");
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])) return FormatDetection.Rejected("file is UTF-16 (big-endian BOM); only UTF-8 is read");
        if (head.StartsWith("\uFEFF"u8)) head = head[3..];
        var usable = headIsWholeFile ? head : head[..(head.LastIndexOf((byte)'\n') + 1)];
        var settled = headIsWholeFile || truncated;

        var firstByte = usable.IndexOfAnyExcept(" \t\r\n"u8);
        if (firstByte < 0 && truncated && head.IndexOfAnyExcept(" \t\r\n"u8) is var start and >= 0 && head[start] is (byte)'{' or (byte)'[')
        {
            // The first line is longer than the head: its keys so far are all there is to judge.
            usable = head;
            firstByte = start;
        }
        if (firstByte < 0)
        {
            return headIsWholeFile
                ? FormatDetection.Rejected(head.IsEmpty ? "file is empty" : "file holds only blank lines")
                : settled ? FormatDetection.Rejected("the first 1 MiB holds no complete line") : FormatDetection.Undetermined;
        }
        var found = usable[firstByte] switch
        {
            (byte)'[' => ClassifyDocument(usable[firstByte..], headIsWholeFile, inArray: true),
            (byte)'{' => ClassifyJsonLines(usable, headIsWholeFile),
            _ => null,
        };
        if (found is not null) return FormatDetection.Detected(found.Value);
        if (usable[firstByte] is (byte)'[' or (byte)'{')
        {
            return settled
                ? FormatDetection.Rejected($"JSON of no known shape{(headIsWholeFile ? "" : " in the first 1 MiB")}: no 'messages', 'conversations', or agent-log event ('type' with 'sessionId')")
                : FormatDetection.Undetermined;
        }
        return ClassifyText(usable, settled, headIsWholeFile);
    }

    private FormatDetection ClassifyText(ReadOnlySpan<byte> text, bool settled, bool headIsWholeFile)
    {
        var lineNumber = 1L;
        foreach (var range in text.Split((byte)'\n'))
        {
            var line = text[range];
            if (Utf8Text.Problem(line) is { } problem) return FormatDetection.Rejected($"line {lineNumber} {problem}");
            foreach (var prefix in prefixBytes)
            {
                if (line.StartsWith(prefix)) return FormatDetection.Detected(ConversationFormat.Text);
            }
            lineNumber++;
        }
        return settled
            ? FormatDetection.Rejected($"not JSON, and no line{(headIsWholeFile ? "" : " in the first 1 MiB")} starts with a speaker prefix ({string.Join(", ", prefixes)})")
            : FormatDetection.Undetermined;
    }

    private static ConversationFormat? ClassifyJsonLines(ReadOnlySpan<byte> text, bool headIsWholeFile)
    {
        var first = true;
        foreach (var range in text.Split((byte)'\n'))
        {
            var line = text[range].Trim(" \t\r"u8);
            if (line.IsEmpty) continue;
            var format = ClassifyDocument(line, isFinal: true, inArray: false);
            if (format is not null) return format;
            if (first && !IsComplete(line))
            {
                // Not JSONL: a multi-line document; its top-level keys decide.
                return ClassifyDocument(text[range.Start.Value..], headIsWholeFile, inArray: false);
            }
            first = false;
        }
        return null;
    }

    /// <summary>
    /// Classifies by the keys of the top-level object (or of each top-level array element in turn) as far
    /// as <paramref name="json"/> goes; null when nothing decides.
    /// </summary>
    private static ConversationFormat? ClassifyDocument(ReadOnlySpan<byte> json, bool isFinal, bool inArray)
    {
        var keyDepth = inArray ? 2 : 1;
        var reader = new Utf8JsonReader(json, isFinal, new JsonReaderState(new JsonReaderOptions { MaxDepth = int.MaxValue }));
        var hasType = false;
        var hasSession = false;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == keyDepth)
                {
                    if (reader.ValueTextEquals("messages"u8)) return ConversationFormat.OpenAi;
                    if (reader.ValueTextEquals("conversations"u8)) return ConversationFormat.ShareGpt;
                    hasType |= reader.ValueTextEquals("type"u8);
                    hasSession |= reader.ValueTextEquals("sessionId"u8);
                    if (hasType && hasSession) return ConversationFormat.AgentLog;
                }
                else if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == keyDepth - 1)
                {
                    hasType = hasSession = false;
                    if (!inArray) return null;
                }
            }
        }
        catch (JsonException)
        {
            // What was read before the error did not decide; nothing after it can.
        }
        return null;
    }

    private static bool IsComplete(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = int.MaxValue });
        try
        {
            return reader.Read() && reader.TrySkip() && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
