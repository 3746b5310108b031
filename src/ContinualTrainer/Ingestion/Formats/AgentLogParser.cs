using System.Globalization;
using System.Text.Json;
using ContinualTrainer.Ingestion.Conversations;

namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// Reads agent session logs: JSONL, one event per line, appended while the agent works, possibly holding
/// several sessions interleaved.
/// </summary>
/// <remarks>
/// <para>An event is <c>{"type":"user"|"assistant","sessionId","timestamp","uuid","message":{"role","content"}}</c>.
/// <c>content</c> is a string or a list of blocks: <c>text</c>; <c>tool_use</c> (<c>id</c>, <c>name</c>,
/// <c>input</c> written as compact JSON arguments; assistant events only); <c>tool_result</c>
/// (<c>tool_use_id</c>, <c>content</c> a string or a list of text blocks; becomes a tool message);
/// <c>thinking</c> (kept in <see cref="CanonicalMessage.Thinking"/>); other block types are ignored.
/// Events of other types, and side-chain events (<c>"isSidechain":true</c>, a sub-agent's own conversation
/// within the session), are ignored without being errors.</para>
/// <para><see cref="Parse"/> yields, after the skipped lines, one conversation per session touched by the
/// lines read, built from those lines only by <see cref="AgentLogSessionBuilder.Build"/>; a caller that stored
/// earlier parts of a session merges with <see cref="ReadEvents"/> and <see cref="AgentLogSessionBuilder.Extend"/>.
/// A file read from offset 0 in which every non-blank line is an error is quarantined.</para>
/// </remarks>
public sealed class AgentLogParser : IConversationParser
{
    private readonly IngestionLimits limits;
    private readonly JsonDocumentOptions documentOptions;

    public AgentLogParser(IngestionLimits limits)
    {
        this.limits = limits.Validate();
        documentOptions = JsonFields.DocumentOptions(limits.MaxJsonDepth);
    }

    public ConversationFormat Format => ConversationFormat.AgentLog;

    public IEnumerable<ParseRecord> Parse(Stream stream, ParseRequest request)
    {
        var events = ReadEvents(stream, request);
        return GroupSessions(events);
    }

    /// <summary>
    /// The events of the lines read, in file order, as <see cref="ParsedAgentLogEvent"/> records, with
    /// <see cref="SkippedLine"/>s and the terminal record, under the same rules as <see cref="Parse"/>.
    /// </summary>
    public IEnumerable<ParseRecord> ReadEvents(Stream stream, ParseRequest request)
    {
        ParseArguments.Check(stream, request);
        return ReadEventsValidated(stream, request);
    }

    private IEnumerable<ParseRecord> GroupSessions(IEnumerable<ParseRecord> records)
    {
        var sessions = new Dictionary<string, List<AgentLogEvent>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var record in records)
        {
            switch (record)
            {
                case ParsedAgentLogEvent { Event: var e }:
                    if (!sessions.TryGetValue(e.SessionId, out var list))
                    {
                        sessions.Add(e.SessionId, list = []);
                        order.Add(e.SessionId);
                    }
                    list.Add(e);
                    break;
                case ParseCompleted:
                    foreach (var sessionId in order)
                    {
                        var result = AgentLogSessionBuilder.Build(sessions[sessionId], limits);
                        foreach (var skipped in result.Dropped) yield return skipped;
                        if (result.Conversation is not null) yield return new ParsedConversation(result.Conversation);
                    }
                    yield return record;
                    break;
                default:
                    yield return record;
                    break;
            }
        }
    }

    private IEnumerable<ParseRecord> ReadEventsValidated(Stream stream, ParseRequest request)
    {
        if (FileLimits.TooLarge(stream, limits) is { } tooLarge)
        {
            yield return tooLarge;
            yield break;
        }
        using var reader = new LineReader(stream, request.StartOffset, request.StartLineNumber, limits.MaxLineBytes, request.FileIsComplete);
        var recognised = 0;
        SkippedLine? firstSkip = null;
        while (reader.TryRead(out var line))
        {
            if (line.IsBlank) continue;
            var record = ReadLine(line, request.SourceFile);
            if (record is SkippedLine skipped)
            {
                firstSkip ??= skipped;
                yield return skipped;
                continue;
            }
            recognised++;
            if (record is not null) yield return record;
        }
        if (recognised == 0 && firstSkip is not null && request.StartOffset == 0)
            yield return new QuarantineReason($"no line could be parsed as an agent-log event (line {firstSkip.LineNumber}: {firstSkip.Reason})");
        else
            yield return new ParseCompleted(reader.ConsumedOffset, reader.NextLineNumber);
    }

    /// <summary>A <see cref="ParsedAgentLogEvent"/>, a <see cref="SkippedLine"/>, or null for an ignored event.</summary>
    private ParseRecord? ReadLine(RawLine line, string sourceFile)
    {
        if (line.IsTooLong) return FileLimits.LineTooLong(line.Number, limits);
        if (Utf8Text.Problem(line.Content.Span) is { } problem) return new SkippedLine(line.Number, $"line {problem}");
        try
        {
            using var document = JsonDocument.Parse(line.Content, documentOptions);
            var e = ReadEvent(JsonFields.Object(document.RootElement, "line"), sourceFile, line.Number);
            return e is null ? null : new ParsedAgentLogEvent(e);
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

    /// <summary>The event on one line; null for an event that is ignored (other type, side chain, nothing said).</summary>
    internal static AgentLogEvent? ReadEvent(JsonElement root, string sourceFile, long lineNumber)
    {
        var type = JsonFields.OptionalString(root, "type", "event");
        if (type is not ("user" or "assistant")) return null;
        if (JsonFields.Property(root, "isSidechain").ValueKind == JsonValueKind.True) return null;
        var sessionId = JsonFields.RequiredString(root, "sessionId", "event");
        var timestamp = ReadTimestamp(root);
        var message = JsonFields.Object(JsonFields.Property(root, "message"), "event.message");
        var content = JsonFields.Property(message, "content");
        var messages = type == "assistant"
            ? ReadAssistantContent(content, timestamp)
            : ReadUserContent(content, timestamp);
        if (messages.Count == 0) return null;
        return new AgentLogEvent(sessionId, timestamp, sourceFile, lineNumber, messages)
        {
            Uuid = JsonFields.OptionalString(root, "uuid", "event"),
        };
    }

    private static DateTimeOffset? ReadTimestamp(JsonElement root)
    {
        var value = JsonFields.Property(root, "timestamp");
        if (value.ValueKind == JsonValueKind.Undefined) return null;
        // ISO 8601 straight from the UTF-8 bytes; other spellings through the general parser.
        if (value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var iso)) return iso;
        var text = JsonFields.OptionalString(root, "timestamp", "event")!;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var timestamp)
            ? timestamp
            : throw new ConversationFormatException($"event.timestamp: '{text}' is not a date and time");
    }

    private static IReadOnlyList<CanonicalMessage> ReadAssistantContent(JsonElement content, DateTimeOffset? timestamp)
    {
        const string where = "message.content";
        if (content.ValueKind == JsonValueKind.String)
            return [new CanonicalMessage(MessageRole.Assistant, JsonFields.String(content, where)) { Timestamp = timestamp }];
        var texts = new List<string>();
        var thinking = new List<string>();
        var calls = new List<ToolCall>();
        var index = 0;
        foreach (var element in Blocks(content, where))
        {
            var at = $"{where}[{index++}]";
            var block = JsonFields.Object(element, at);
            switch (JsonFields.RequiredString(block, "type", at))
            {
                case "text":
                    texts.Add(JsonFields.RequiredString(block, "text", at));
                    break;
                case "thinking":
                    thinking.Add(JsonFields.RequiredString(block, "thinking", at));
                    break;
                case "tool_use":
                    calls.Add(new ToolCall(
                        JsonFields.RequiredString(block, "id", at),
                        JsonFields.RequiredString(block, "name", at),
                        JsonFields.Arguments(JsonFields.Property(block, "input"), $"{at}.input")));
                    break;
            }
        }
        if (texts.Count == 0 && thinking.Count == 0 && calls.Count == 0) return [];
        return
        [
            new CanonicalMessage(MessageRole.Assistant, string.Join("\n\n", texts))
            {
                ToolCalls = calls,
                Thinking = thinking.Count == 0 ? null : string.Join("\n\n", thinking),
                Timestamp = timestamp,
            },
        ];
    }

    private static IReadOnlyList<CanonicalMessage> ReadUserContent(JsonElement content, DateTimeOffset? timestamp)
    {
        const string where = "message.content";
        if (content.ValueKind == JsonValueKind.String)
            return [new CanonicalMessage(MessageRole.User, JsonFields.String(content, where)) { Timestamp = timestamp }];
        var messages = new List<CanonicalMessage>();
        var texts = new List<string>();
        var index = 0;
        foreach (var element in Blocks(content, where))
        {
            var at = $"{where}[{index++}]";
            var block = JsonFields.Object(element, at);
            switch (JsonFields.RequiredString(block, "type", at))
            {
                case "text":
                    texts.Add(JsonFields.RequiredString(block, "text", at));
                    break;
                case "tool_result":
                    FlushUserText(messages, texts, timestamp);
                    messages.Add(new CanonicalMessage(MessageRole.Tool, ToolResultText(JsonFields.Property(block, "content"), $"{at}.content"))
                    {
                        ToolCallId = JsonFields.RequiredString(block, "tool_use_id", at),
                        Timestamp = timestamp,
                    });
                    break;
            }
        }
        FlushUserText(messages, texts, timestamp);
        return messages;
    }

    private static void FlushUserText(List<CanonicalMessage> messages, List<string> texts, DateTimeOffset? timestamp)
    {
        if (texts.Count == 0) return;
        messages.Add(new CanonicalMessage(MessageRole.User, string.Join("\n\n", texts)) { Timestamp = timestamp });
        texts.Clear();
    }

    private static string ToolResultText(JsonElement content, string where)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.Undefined:
                return "";
            case JsonValueKind.String:
                return JsonFields.String(content, where);
            case JsonValueKind.Array:
                var texts = new List<string>();
                var index = 0;
                foreach (var element in content.EnumerateArray())
                {
                    var at = $"{where}[{index++}]";
                    var block = JsonFields.Object(element, at);
                    if (JsonFields.RequiredString(block, "type", at) == "text") texts.Add(JsonFields.RequiredString(block, "text", at));
                }
                return string.Join("\n\n", texts);
            default:
                throw new ConversationFormatException($"{where}: expected a string or a list of blocks, found {JsonFields.Kind(content)}");
        }
    }

    private static JsonElement.ArrayEnumerator Blocks(JsonElement content, string where) => content.ValueKind switch
    {
        JsonValueKind.Array => content.EnumerateArray(),
        JsonValueKind.Undefined => throw new ConversationFormatException($"{where}: missing"),
        _ => throw new ConversationFormatException($"{where}: expected a string or a list of blocks, found {JsonFields.Kind(content)}"),
    };
}
