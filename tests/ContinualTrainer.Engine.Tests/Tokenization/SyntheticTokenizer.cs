using System.Text.Json.Nodes;
using ContinualTrainer.Engine.Tokenization;

namespace ContinualTrainer.Engine.Tests.Tokenization;

/// <summary>
/// Writes small hand-made <c>tokenizer.json</c> files into a temporary folder: by default a byte-level
/// BPE whose ids 0..255 are the byte symbols (id = byte value) followed by the extra tokens given.
/// </summary>
internal sealed class SyntheticTokenizer : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("h2-tokenizer-").FullName;

    public string Path => System.IO.Path.Combine(directory, "tokenizer.json");

    public static JsonObject ByteLevelDocument(IEnumerable<string> extraTokens, IEnumerable<(string, string)> merges, JsonNode? preTokenizer)
    {
        var vocab = new JsonObject();
        var alphabet = ByteLevelAlphabet.ByteToChar.ToArray();
        for (var b = 0; b < 256; b++) vocab[alphabet[b].ToString()] = b;
        var next = 256;
        foreach (var token in extraTokens) vocab[token] = next++;
        var mergeArray = new JsonArray();
        foreach (var (a, b) in merges) mergeArray.Add(new JsonArray(a, b));
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(),
            ["normalizer"] = new JsonObject { ["type"] = "NFC" },
            ["pre_tokenizer"] = preTokenizer ?? new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = false },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["vocab"] = vocab,
                ["merges"] = mergeArray,
            },
        };
    }

    public static JsonObject AddedToken(int id, string content, bool singleWord = false, bool lstrip = false, bool rstrip = false, bool normalized = false) =>
        new()
        {
            ["id"] = id,
            ["content"] = content,
            ["single_word"] = singleWord,
            ["lstrip"] = lstrip,
            ["rstrip"] = rstrip,
            ["normalized"] = normalized,
            ["special"] = true,
        };

    public string Write(string json)
    {
        File.WriteAllText(Path, json);
        return Path;
    }

    public BpeTokenizer Load(JsonNode document) => BpeTokenizer.FromFile(Write(document.ToJsonString()));

    public void WriteConfig(string json) => File.WriteAllText(System.IO.Path.Combine(directory, "tokenizer_config.json"), json);

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
