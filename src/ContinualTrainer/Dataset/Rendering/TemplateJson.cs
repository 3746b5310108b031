using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ContinualTrainer.Dataset.Rendering;

/// <summary>
/// JSON as Hugging Face chat templates write it with <c>tojson</c> (Python's <c>json.dumps</c> with
/// <c>ensure_ascii=False</c>): <c>", "</c> and <c>": "</c> separators, keys in their original order,
/// non-ASCII characters unescaped, control characters as <c>\n</c>, <c>\t</c>, ... or <c>\u00XX</c>.
/// Numbers keep the spelling of the source.
/// </summary>
public static class TemplateJson
{
    /// <summary>
    /// Tool-call arguments as a template renders them: valid JSON is re-written in <c>tojson</c> style (a
    /// template receives the arguments as an object); anything else is returned unchanged.
    /// </summary>
    public static bool TryReformat(string json, out string formatted)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var builder = new StringBuilder(json.Length + 16);
            Write(builder, document.RootElement);
            formatted = builder.ToString();
            return true;
        }
        catch (JsonException)
        {
            formatted = json;
            return false;
        }
    }

    /// <summary>A JSON string literal of <paramref name="text"/> in <c>tojson</c> style.</summary>
    public static string Quote(string text)
    {
        var builder = new StringBuilder(text.Length + 2);
        WriteString(builder, text);
        return builder.ToString();
    }

    private static void Write(StringBuilder output, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                output.Append('{');
                var firstMember = true;
                foreach (var member in element.EnumerateObject())
                {
                    if (!firstMember) output.Append(", ");
                    firstMember = false;
                    WriteString(output, member.Name);
                    output.Append(": ");
                    Write(output, member.Value);
                }
                output.Append('}');
                break;
            case JsonValueKind.Array:
                output.Append('[');
                var firstItem = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!firstItem) output.Append(", ");
                    firstItem = false;
                    Write(output, item);
                }
                output.Append(']');
                break;
            case JsonValueKind.String:
                WriteString(output, element.GetString()!);
                break;
            default: // numbers, true, false, null
                output.Append(element.GetRawText());
                break;
        }
    }

    private static void WriteString(StringBuilder output, string text)
    {
        output.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': output.Append("\\\""); break;
                case '\\': output.Append("\\\\"); break;
                case '\n': output.Append("\\n"); break;
                case '\r': output.Append("\\r"); break;
                case '\t': output.Append("\\t"); break;
                case '\b': output.Append("\\b"); break;
                case '\f': output.Append("\\f"); break;
                default:
                    if (c < ' ') output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else output.Append(c);
                    break;
            }
        }
        output.Append('"');
    }
}
