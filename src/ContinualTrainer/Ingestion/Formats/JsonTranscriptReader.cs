using System.Buffers;
using System.Text.Json;
using ContinualTrainer.Ingestion.Conversations;

namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// The file handling shared by the JSON transcript formats (OpenAI chat, ShareGPT): layout detection,
/// JSONL line reading with per-line error reports, whole-document parsing, limits and quarantine. The
/// format itself is a function from one conversation's JSON object to its messages.
/// </summary>
/// <remarks>
/// Layout: JSONL when the first or second non-blank line is a complete JSON value on its own; a JSON
/// document when the first non-blank line starts with '[' or when it starts with '{' and neither of the
/// first two non-blank lines is complete (a pretty-printed object). Conversation keys are
/// <c>{file}#L{line}</c> for JSONL and <c>{file}#{index}</c> for documents (index 0 for a single object).
/// </remarks>
internal sealed class JsonTranscriptReader(IngestionLimits limits, Func<JsonElement, int, IReadOnlyList<CanonicalMessage>> readMessages)
{
    private readonly JsonDocumentOptions documentOptions = JsonFields.DocumentOptions(limits.MaxJsonDepth);

    public IEnumerable<ParseRecord> Parse(Stream stream, ParseRequest request)
    {
        ParseArguments.Check(stream, request);
        return ParseValidated(stream, request);
    }

    private IEnumerable<ParseRecord> ParseValidated(Stream stream, ParseRequest request)
    {
        if (FileLimits.TooLarge(stream, limits) is { } tooLarge)
        {
            yield return tooLarge;
            yield break;
        }
        var layout = ProbeLayout(stream);
        IEnumerable<ParseRecord> records = layout switch
        {
            JsonLayout.Lines => ParseLines(stream, request),
            JsonLayout.Document when request.FileIsComplete => ParseDocument(stream, request.SourceFile),
            _ => [new ParseCompleted(request.StartOffset, request.StartLineNumber)],
        };
        foreach (var record in records) yield return record;
    }

    private JsonLayout ProbeLayout(Stream stream)
    {
        using var reader = new LineReader(stream, 0, 1, limits.MaxLineBytes, fileIsComplete: true);
        var seen = 0;
        var firstIsOpenBrace = false;
        while (seen < 2 && reader.TryRead(out var line))
        {
            if (line.IsBlank) continue;
            if (line.IsTooLong) return JsonLayout.Lines;
            var text = line.Content.Span.TrimStart(" \t"u8);
            if (seen == 0)
            {
                if (text[0] == (byte)'[') return JsonLayout.Document;
                firstIsOpenBrace = text[0] == (byte)'{';
            }
            if (IsCompleteValue(text)) return JsonLayout.Lines;
            if (!firstIsOpenBrace) return JsonLayout.Lines;
            seen++;
        }
        return seen == 0 ? JsonLayout.Undetermined : JsonLayout.Document;
    }

    private static bool IsCompleteValue(ReadOnlySpan<byte> text)
    {
        // Any depth: this only asks "does the line close what it opens"; the depth limit applies when parsing.
        var reader = new Utf8JsonReader(text, new JsonReaderOptions { MaxDepth = int.MaxValue });
        try
        {
            return reader.Read() && reader.TrySkip() && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private IEnumerable<ParseRecord> ParseLines(Stream stream, ParseRequest request)
    {
        using var reader = new LineReader(stream, request.StartOffset, request.StartLineNumber, limits.MaxLineBytes, request.FileIsComplete);
        var parsed = 0;
        SkippedLine? firstSkip = null;
        while (reader.TryRead(out var line))
        {
            if (line.IsBlank) continue;
            var record = ParseLine(line, request.SourceFile);
            if (record is SkippedLine skipped) firstSkip ??= skipped;
            else parsed++;
            yield return record;
        }
        if (parsed == 0 && firstSkip is not null && request.StartOffset == 0)
            yield return new QuarantineReason($"no line could be parsed (line {firstSkip.LineNumber}: {firstSkip.Reason})");
        else
            yield return new ParseCompleted(reader.ConsumedOffset, reader.NextLineNumber);
    }

    private ParseRecord ParseLine(RawLine line, string sourceFile)
    {
        if (line.IsTooLong) return FileLimits.LineTooLong(line.Number, limits);
        if (Utf8Text.Problem(line.Content.Span) is { } problem) return new SkippedLine(line.Number, $"line {problem}");
        try
        {
            using var document = JsonDocument.Parse(line.Content, documentOptions);
            var messages = readMessages(JsonFields.Object(document.RootElement, "line"), limits.MaxMessagesPerConversation);
            return new ParsedConversation(new CanonicalConversation(
                $"{sourceFile}#L{line.Number}", null, ConversationCategory.Transcript, sourceFile, line.Number, line.Number, messages));
        }
        catch (JsonException e)
        {
            return new SkippedLine(line.Number, JsonErrors.InLine(e));
        }
        catch (ConversationFormatException e)
        {
            return new SkippedLine(line.Number, e.Message);
        }
    }

    private IEnumerable<ParseRecord> ParseDocument(Stream stream, string sourceFile)
    {
        if (stream.Length > Array.MaxLength)
        {
            yield return new QuarantineReason($"file is {stream.Length} bytes, too large to parse as one JSON document");
            yield break;
        }
        var length = (int)stream.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            stream.Seek(0, SeekOrigin.Begin);
            var read = stream.ReadAtLeast(buffer.AsSpan(0, length), length, throwOnEndOfStream: false);
            var bom = buffer.AsSpan(0, read).StartsWith("\uFEFF"u8) ? 3 : 0;
            var text = buffer.AsMemory(bom, read - bom);
            var elements = new List<JsonDocumentElement>();
            if (ScanDocument(text.Span, elements) is { } quarantine)
            {
                yield return quarantine;
                yield break;
            }
            var parsed = 0;
            SkippedLine? firstSkip = null;
            for (var index = 0; index < elements.Count; index++)
            {
                var record = ParseElement(text, elements[index], index, sourceFile);
                if (record is SkippedLine skipped) firstSkip ??= skipped;
                else parsed++;
                yield return record;
            }
            if (parsed == 0 && firstSkip is not null)
                yield return new QuarantineReason($"no conversation could be read (line {firstSkip.LineNumber}: {firstSkip.Reason})");
            else
                yield return new ParseCompleted(read, 1 + buffer.AsSpan(0, read).Count((byte)'\n'));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private ParseRecord ParseElement(ReadOnlyMemory<byte> text, JsonDocumentElement element, int index, string sourceFile)
    {
        var where = element.InArray ? $"element {index}" : "document";
        try
        {
            // Already validated (syntax, depth) by ScanDocument.
            using var document = JsonDocument.Parse(text.Slice(element.Start, element.Length), documentOptions);
            var messages = readMessages(JsonFields.Object(document.RootElement, where), limits.MaxMessagesPerConversation);
            return new ParsedConversation(new CanonicalConversation(
                $"{sourceFile}#{index}", null, ConversationCategory.Transcript, sourceFile, element.FirstLine, element.LastLine, messages));
        }
        catch (ConversationFormatException e)
        {
            return new SkippedLine(element.FirstLine, element.InArray ? $"{where}: {e.Message}" : e.Message);
        }
    }

    /// <summary>
    /// Validates the whole document (UTF-8, syntax, depth) and locates its conversation objects; returns the
    /// reason to quarantine the file, or null.
    /// </summary>
    private QuarantineReason? ScanDocument(ReadOnlySpan<byte> text, List<JsonDocumentElement> elements)
    {
        if (!System.Text.Unicode.Utf8.IsValid(text))
            return new QuarantineReason($"line {Utf8Text.LineOf(text, Utf8Text.FirstInvalid(text))} is not valid UTF-8");
        var options = new JsonReaderOptions { MaxDepth = limits.MaxJsonDepth };
        try
        {
            var validator = new Utf8JsonReader(text, options);
            while (validator.Read())
            {
            }
        }
        catch (JsonException e)
        {
            return new QuarantineReason($"invalid JSON document ({JsonErrors.InDocument(e)})");
        }

        var reader = new Utf8JsonReader(text, options);
        if (!reader.Read()) return new QuarantineReason("the file holds no JSON value");
        var offset = 0;
        var line = 1L;
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                elements.Add(Locate(text, ref reader, ref offset, ref line, inArray: false));
                return null;
            case JsonTokenType.StartArray:
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) elements.Add(Locate(text, ref reader, ref offset, ref line, inArray: true));
                return null;
            default:
                return new QuarantineReason($"the JSON document is {TokenName(reader.TokenType)}, not an object or an array of objects");
        }
    }

    /// <summary>
    /// The range and lines of the value at the reader, which is left on its last token; <paramref name="offset"/>
    /// and <paramref name="line"/> track how far newlines have been counted.
    /// </summary>
    private static JsonDocumentElement Locate(ReadOnlySpan<byte> text, ref Utf8JsonReader reader, ref int offset, ref long line, bool inArray)
    {
        var start = (int)reader.TokenStartIndex;
        var firstLine = line + text[offset..start].Count((byte)'\n');
        reader.Skip();
        var end = (int)reader.BytesConsumed;
        var lastLine = firstLine + text[start..end].Count((byte)'\n');
        offset = end;
        line = lastLine;
        return new JsonDocumentElement(start, end - start, firstLine, lastLine, inArray);
    }

    private static string TokenName(JsonTokenType token) => token switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        _ => "null",
    };
}
