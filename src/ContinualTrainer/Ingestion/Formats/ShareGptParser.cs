using System.Text.Json;
using ContinualTrainer.Ingestion.Conversations;

namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// Reads ShareGPT transcripts: <c>{"conversations":[{"from":...,"value":...}]}</c> per JSONL line or in a
/// JSON array (layout rules in <see cref="JsonTranscriptReader"/>).
/// </summary>
/// <remarks>
/// <c>from</c>: <c>system</c>; <c>human</c> / <c>user</c>; <c>gpt</c> / <c>assistant</c>; <c>tool</c> /
/// <c>observation</c> (tool results, without a call id); <c>function_call</c> (an assistant message whose
/// value is <c>{"name","arguments"}</c> JSON, read as one <see cref="ToolCall"/> with an empty id).
/// <c>value</c> is a string (null reads as empty). An optional top-level <c>system</c> string becomes a leading
/// system message. Other keys are ignored.
/// </remarks>
public sealed class ShareGptParser : IConversationParser
{
    private readonly JsonTranscriptReader reader;

    public ShareGptParser(IngestionLimits limits)
    {
        reader = new JsonTranscriptReader(limits.Validate(), ReadMessages);
    }

    public ConversationFormat Format => ConversationFormat.ShareGpt;

    public IEnumerable<ParseRecord> Parse(Stream stream, ParseRequest request) => reader.Parse(stream, request);

    /// <summary>The messages of one <c>{"conversations":[...]}</c> object.</summary>
    internal static IReadOnlyList<CanonicalMessage> ReadMessages(JsonElement conversation, int maxMessages)
    {
        var system = JsonFields.OptionalString(conversation, "system", "conversation");
        var array = JsonFields.MessageArray(conversation, "conversations", maxMessages, extra: system is null ? 0 : 1);
        var messages = new List<CanonicalMessage>(array.GetArrayLength() + 1);
        if (system is not null) messages.Add(new CanonicalMessage(MessageRole.System, system));
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            messages.Add(ReadTurn(element, $"conversations[{index}]"));
            index++;
        }
        return messages;
    }

    private static CanonicalMessage ReadTurn(JsonElement element, string where)
    {
        var turn = JsonFields.Object(element, where);
        var from = JsonFields.RequiredString(turn, "from", where);
        var value = JsonFields.OptionalString(turn, "value", where) ?? "";
        return from switch
        {
            "system" => new CanonicalMessage(MessageRole.System, value),
            "human" or "user" => new CanonicalMessage(MessageRole.User, value),
            "gpt" or "assistant" => new CanonicalMessage(MessageRole.Assistant, value),
            "tool" or "observation" => new CanonicalMessage(MessageRole.Tool, value),
            "function_call" => new CanonicalMessage(MessageRole.Assistant, "") { ToolCalls = [ReadFunctionCall(value, $"{where}.value")] },
            _ => throw new ConversationFormatException($"{where}: unknown speaker '{from}'"),
        };
    }

    private static ToolCall ReadFunctionCall(string value, string where)
    {
        try
        {
            using var document = JsonDocument.Parse(value);
            var call = JsonFields.Object(document.RootElement, where);
            return new ToolCall("", JsonFields.RequiredString(call, "name", where), JsonFields.Arguments(JsonFields.Property(call, "arguments"), $"{where}.arguments"));
        }
        catch (JsonException e)
        {
            throw new ConversationFormatException($"{where}: function_call value is not JSON ({JsonErrors.InLine(e)})");
        }
    }
}
