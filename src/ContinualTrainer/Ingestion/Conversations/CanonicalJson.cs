using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ContinualTrainer.Ingestion.Conversations;

/// <summary>
/// The stable, compact JSON form of a conversation's messages: what the database stores and what
/// <see cref="CanonicalConversation.ContentHash"/> hashes.
/// </summary>
/// <remarks>
/// A JSON array with one object per message; keys always in this order, optional ones omitted when null or empty:
/// <c>{"role":"system|user|assistant|tool","text":"...","thinking":"...","tool_calls":[{"id":"...","name":"...","arguments":"..."}],"tool_call_id":"...","timestamp":"2025-01-02T03:04:05.0000000+00:00"}</c>.
/// No whitespace; non-ASCII characters are written as UTF-8, not escaped; timestamps in the round-trip
/// ("O") format with their original offset. The same messages always give the same bytes.
/// </remarks>
public static class CanonicalJson
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The canonical UTF-8 JSON of <paramref name="messages"/>.</summary>
    public static byte[] SerializeMessages(IReadOnlyList<CanonicalMessage> messages)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartArray();
            foreach (var message in messages) WriteMessage(writer, message);
            writer.WriteEndArray();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Lower-case hex SHA-256 of <see cref="SerializeMessages"/>.</summary>
    public static string ContentHash(IReadOnlyList<CanonicalMessage> messages) =>
        Convert.ToHexStringLower(SHA256.HashData(SerializeMessages(messages)));

    /// <summary>
    /// Reads messages back from their canonical JSON. Throws <see cref="FormatException"/> naming the
    /// message and key when the text is not canonical messages JSON.
    /// </summary>
    public static IReadOnlyList<CanonicalMessage> DeserializeMessages(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
                throw new FormatException($"canonical messages JSON: expected an array, found {document.RootElement.ValueKind}");
            var messages = new List<CanonicalMessage>(document.RootElement.GetArrayLength());
            var index = 0;
            foreach (var element in document.RootElement.EnumerateArray())
            {
                messages.Add(ReadMessage(element, $"messages[{index}]"));
                index++;
            }
            return messages;
        }
        catch (JsonException e)
        {
            throw new FormatException($"canonical messages JSON: invalid JSON at byte {e.BytePositionInLine + 1}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new FormatException($"canonical messages JSON: invalid string ({e.Message.TrimEnd('.')})", e);
        }
    }

    /// <summary>The canonical spelling of a role.</summary>
    public static string RoleName(MessageRole role) => role switch
    {
        MessageRole.System => "system",
        MessageRole.User => "user",
        MessageRole.Assistant => "assistant",
        MessageRole.Tool => "tool",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "unknown message role"),
    };

    private static void WriteMessage(Utf8JsonWriter writer, CanonicalMessage message)
    {
        writer.WriteStartObject();
        writer.WriteString("role", RoleName(message.Role));
        writer.WriteString("text", message.Text);
        if (message.Thinking is not null) writer.WriteString("thinking", message.Thinking);
        if (message.ToolCalls.Count > 0)
        {
            writer.WriteStartArray("tool_calls");
            foreach (var call in message.ToolCalls)
            {
                writer.WriteStartObject();
                writer.WriteString("id", call.Id);
                writer.WriteString("name", call.Name);
                writer.WriteString("arguments", call.Arguments);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        if (message.ToolCallId is not null) writer.WriteString("tool_call_id", message.ToolCallId);
        if (message.Timestamp is { } timestamp) writer.WriteString("timestamp", timestamp.ToString("O", CultureInfo.InvariantCulture));
        writer.WriteEndObject();
    }

    private static CanonicalMessage ReadMessage(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.Object) throw new FormatException($"canonical messages JSON: {where}: expected an object");
        var role = RequiredString(element, "role", where) switch
        {
            "system" => MessageRole.System,
            "user" => MessageRole.User,
            "assistant" => MessageRole.Assistant,
            "tool" => MessageRole.Tool,
            var other => throw new FormatException($"canonical messages JSON: {where}: unknown role '{other}'"),
        };
        var toolCalls = new List<ToolCall>();
        if (element.TryGetProperty("tool_calls", out var calls))
        {
            if (calls.ValueKind != JsonValueKind.Array) throw new FormatException($"canonical messages JSON: {where}.tool_calls: expected an array");
            var index = 0;
            foreach (var call in calls.EnumerateArray())
            {
                var at = $"{where}.tool_calls[{index++}]";
                toolCalls.Add(new ToolCall(RequiredString(call, "id", at), RequiredString(call, "name", at), RequiredString(call, "arguments", at)));
            }
        }
        DateTimeOffset? timestamp = null;
        if (OptionalString(element, "timestamp", where) is { } stamp)
        {
            timestamp = DateTimeOffset.TryParseExact(stamp, "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
                ? parsed
                : throw new FormatException($"canonical messages JSON: {where}.timestamp: '{stamp}' is not a round-trip timestamp");
        }
        return new CanonicalMessage(role, RequiredString(element, "text", where))
        {
            Thinking = OptionalString(element, "thinking", where),
            ToolCalls = toolCalls,
            ToolCallId = OptionalString(element, "tool_call_id", where),
            Timestamp = timestamp,
        };
    }

    private static string RequiredString(JsonElement element, string key, string where) =>
        OptionalString(element, key, where) ?? throw new FormatException($"canonical messages JSON: {where}: missing '{key}'");

    private static string? OptionalString(JsonElement element, string key, string where)
    {
        if (element.ValueKind != JsonValueKind.Object) throw new FormatException($"canonical messages JSON: {where}: expected an object");
        if (!element.TryGetProperty(key, out var value)) return null;
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new FormatException($"canonical messages JSON: {where}.{key}: expected a string, found {value.ValueKind}");
    }
}
