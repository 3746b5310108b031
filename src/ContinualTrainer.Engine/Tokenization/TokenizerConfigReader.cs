using System.Text.Json;

namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// Reads the special-token names and the chat template from a Hugging Face <c>tokenizer_config.json</c>.
/// A token may be a string, null or an AddedToken object <c>{"content": ...}</c>; the chat template a
/// string or a list of <c>{"name", "template"}</c> (the one named "default" is used).
/// </summary>
internal static class TokenizerConfigReader
{
    public static TokenizerConfig Read(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"tokenizer config '{path}' is not valid JSON ({e.Message})", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"tokenizer config '{path}' is not a JSON object");
            return new TokenizerConfig(
                Token(path, root, "bos_token"),
                Token(path, root, "eos_token"),
                Token(path, root, "pad_token"),
                Token(path, root, "unk_token"),
                ChatTemplate(path, root));
        }
    }

    private static string? Token(string path, JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object when value.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String => content.GetString(),
            _ => throw new InvalidDataException($"tokenizer config '{path}': \"{name}\" is neither a string nor {{\"content\": string}}"),
        };
    }

    private static string? ChatTemplate(string path, JsonElement root)
    {
        if (!root.TryGetProperty("chat_template", out var value)) return null;
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.String:
                return value.GetString();
            case JsonValueKind.Array:
                foreach (var entry in value.EnumerateArray())
                {
                    if (entry.ValueKind == JsonValueKind.Object
                        && entry.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String && name.GetString() == "default"
                        && entry.TryGetProperty("template", out var template) && template.ValueKind == JsonValueKind.String)
                        return template.GetString();
                }
                return null;
            default:
                throw new InvalidDataException($"tokenizer config '{path}': \"chat_template\" is neither a string nor a list of named templates");
        }
    }
}
