using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// Typed reads of JSON values for the format converters, throwing <see cref="ConversationFormatException"/>
/// with the JSON path of the offending value (<c>messages[2].content</c>) instead of the reader's exceptions.
/// </summary>
internal static class JsonFields
{
    private static readonly JsonWriterOptions CompactWriter = new()
    {
        Indented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Options for parsing one record (line or element) within <paramref name="maxDepth"/>.</summary>
    public static JsonDocumentOptions DocumentOptions(int maxDepth) => new() { MaxDepth = maxDepth };

    /// <summary>The object's property, or default when absent or JSON null.</summary>
    public static JsonElement Property(JsonElement obj, string key)
    {
        return obj.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null ? value : default;
    }

    /// <summary>A string property; null when absent or JSON null.</summary>
    public static string? OptionalString(JsonElement obj, string key, string where)
    {
        var value = Property(obj, key);
        return value.ValueKind switch
        {
            JsonValueKind.Undefined => null,
            JsonValueKind.String => String(value, $"{where}.{key}"),
            _ => throw new ConversationFormatException($"{where}.{key}: expected a string, found {Kind(value)}"),
        };
    }

    /// <summary>A string property that must be present.</summary>
    public static string RequiredString(JsonElement obj, string key, string where) =>
        OptionalString(obj, key, where) ?? throw new ConversationFormatException($"{where}: missing '{key}'");

    /// <summary>The value of a JSON string; lone surrogate escapes are reported, not thrown.</summary>
    public static string String(JsonElement value, string where)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw new ConversationFormatException($"{where}: invalid string ({e.Message.TrimEnd('.')})");
        }
    }

    /// <summary>Requires <paramref name="value"/> to be an object.</summary>
    public static JsonElement Object(JsonElement value, string where) => value.ValueKind switch
    {
        JsonValueKind.Object => value,
        JsonValueKind.Undefined => throw new ConversationFormatException($"{where}: missing"),
        _ => throw new ConversationFormatException($"{where}: expected an object, found {Kind(value)}"),
    };

    /// <summary>The property as an array; empty when absent or JSON null.</summary>
    /// <summary>A conversation's message array <paramref name="key"/>: present, an array, and (counting <paramref name="extra"/> messages added to it) neither empty nor longer than <paramref name="maxMessages"/>.</summary>
    public static JsonElement MessageArray(JsonElement conversation, string key, int maxMessages, int extra = 0)
    {
        var array = Property(conversation, key);
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw new ConversationFormatException(array.ValueKind == JsonValueKind.Undefined
                ? $"no '{key}' array"
                : $"'{key}' is {Kind(array)}, not an array");
        }
        var count = array.GetArrayLength() + extra;
        if (count == 0) throw new ConversationFormatException($"'{key}' is empty");
        if (count > maxMessages) throw new ConversationFormatException(FileLimits.TooManyMessages(count, maxMessages));
        return array;
    }

    public static IEnumerable<JsonElement> OptionalArray(JsonElement obj, string key, string where)
    {
        var value = Property(obj, key);
        return value.ValueKind switch
        {
            JsonValueKind.Undefined => [],
            JsonValueKind.Array => value.EnumerateArray(),
            _ => throw new ConversationFormatException($"{where}.{key}: expected an array, found {Kind(value)}"),
        };
    }

    /// <summary>Tool-call arguments: a string is kept verbatim, any other value written as compact JSON, absence is <c>{}</c>.</summary>
    public static string Arguments(JsonElement value, string where) => value.ValueKind switch
    {
        JsonValueKind.Undefined => "{}",
        JsonValueKind.String => String(value, where),
        _ => Compact(value, where),
    };

    /// <summary>The value written as compact JSON (no whitespace, non-ASCII kept as UTF-8).</summary>
    public static string Compact(JsonElement value, string where)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        try
        {
            using var writer = new Utf8JsonWriter(buffer, CompactWriter);
            value.WriteTo(writer);
        }
        catch (InvalidOperationException e)
        {
            throw new ConversationFormatException($"{where}: invalid string ({e.Message.TrimEnd('.')})");
        }
        catch (ArgumentException e)
        {
            throw new ConversationFormatException($"{where}: invalid string ({e.Message.TrimEnd('.')})");
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>How a value kind is named in reasons: "a number", "an array", "null".</summary>
    public static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
