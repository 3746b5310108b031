using System.Text;
using System.Text.Json;
using ContinualTrainer.Ingestion.Conversations;

namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// Reads OpenAI-style chat transcripts: <c>{"messages":[...]}</c> per JSONL line, as one JSON document, or
/// as a JSON array of such objects (layout rules in <see cref="JsonTranscriptReader"/>).
/// </summary>
/// <remarks>
/// Roles <c>system</c> (and <c>developer</c>), <c>user</c>, <c>assistant</c>, <c>tool</c> (and the legacy
/// <c>function</c>). <c>content</c> is a string, null, or a list of parts of which only
/// <c>{"type":"text","text":...}</c> count (concatenated as they are, the way chat templates render them);
/// other part types are ignored. Assistant <c>tool_calls</c> (<c>{"id","type":"function","function":{"name","arguments"}}</c>,
/// arguments a JSON string or an object) and the legacy <c>function_call</c> become <see cref="ToolCall"/>s;
/// <c>tool</c> messages keep their <c>tool_call_id</c>; an assistant's <c>reasoning_content</c> becomes
/// <see cref="CanonicalMessage.Thinking"/>. Other keys are ignored.
/// </remarks>
public sealed class OpenAiChatParser : IConversationParser
{
    private readonly JsonTranscriptReader reader;

    public OpenAiChatParser(IngestionLimits limits)
    {
        reader = new JsonTranscriptReader(limits.Validate(), ReadMessages);
    }

    public ConversationFormat Format => ConversationFormat.OpenAi;

    public IEnumerable<ParseRecord> Parse(Stream stream, ParseRequest request) => reader.Parse(stream, request);

    /// <summary>The messages of one <c>{"messages":[...]}</c> object.</summary>
    internal static IReadOnlyList<CanonicalMessage> ReadMessages(JsonElement conversation, int maxMessages)
    {
        var array = JsonFields.MessageArray(conversation, "messages", maxMessages);
        var messages = new List<CanonicalMessage>(array.GetArrayLength());
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            messages.Add(ReadMessage(element, $"messages[{index}]"));
            index++;
        }
        return messages;
    }

    private static CanonicalMessage ReadMessage(JsonElement element, string where)
    {
        var message = JsonFields.Object(element, where);
        var role = JsonFields.RequiredString(message, "role", where) switch
        {
            "system" or "developer" => MessageRole.System,
            "user" => MessageRole.User,
            "assistant" => MessageRole.Assistant,
            "tool" or "function" => MessageRole.Tool,
            var other => throw new ConversationFormatException($"{where}: unknown role '{other}'"),
        };
        var text = ReadContent(JsonFields.Property(message, "content"), $"{where}.content");
        return role switch
        {
            MessageRole.Assistant => new CanonicalMessage(role, text)
            {
                ToolCalls = ReadToolCalls(message, where),
                Thinking = JsonFields.OptionalString(message, "reasoning_content", where),
            },
            MessageRole.Tool => new CanonicalMessage(role, text) { ToolCallId = JsonFields.OptionalString(message, "tool_call_id", where) },
            _ => new CanonicalMessage(role, text),
        };
    }

    private static string ReadContent(JsonElement content, string where)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.Undefined:
                return "";
            case JsonValueKind.String:
                return JsonFields.String(content, where);
            case JsonValueKind.Array:
                var text = new StringBuilder();
                var index = 0;
                foreach (var element in content.EnumerateArray())
                {
                    var at = $"{where}[{index++}]";
                    var part = JsonFields.Object(element, at);
                    if (JsonFields.OptionalString(part, "type", at) == "text") text.Append(JsonFields.RequiredString(part, "text", at));
                }
                return text.ToString();
            default:
                throw new ConversationFormatException($"{where}: expected a string, null or a list of parts, found {JsonFields.Kind(content)}");
        }
    }

    private static IReadOnlyList<ToolCall> ReadToolCalls(JsonElement message, string where)
    {
        var calls = new List<ToolCall>();
        var index = 0;
        foreach (var element in JsonFields.OptionalArray(message, "tool_calls", where))
        {
            var at = $"{where}.tool_calls[{index++}]";
            var call = JsonFields.Object(element, at);
            var type = JsonFields.OptionalString(call, "type", at) ?? "function";
            if (type != "function") throw new ConversationFormatException($"{at}: unsupported tool call type '{type}'");
            var function = JsonFields.Object(JsonFields.Property(call, "function"), $"{at}.function");
            calls.Add(new ToolCall(
                JsonFields.OptionalString(call, "id", at) ?? "",
                JsonFields.RequiredString(function, "name", $"{at}.function"),
                JsonFields.Arguments(JsonFields.Property(function, "arguments"), $"{at}.function.arguments")));
        }
        var legacy = JsonFields.Property(message, "function_call");
        if (legacy.ValueKind != JsonValueKind.Undefined)
        {
            var at = $"{where}.function_call";
            var function = JsonFields.Object(legacy, at);
            calls.Add(new ToolCall("", JsonFields.RequiredString(function, "name", at), JsonFields.Arguments(JsonFields.Property(function, "arguments"), $"{at}.arguments")));
        }
        return calls;
    }
}
