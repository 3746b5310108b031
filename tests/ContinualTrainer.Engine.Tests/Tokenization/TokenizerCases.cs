using System.Text.Json;

namespace ContinualTrainer.Engine.Tests.Tokenization;

/// <summary>Reads the Hugging Face reference cases (<c>cases.jsonl</c>: one <c>{"text", "ids"}</c> per line).</summary>
internal static class TokenizerCases
{
    public static string TinyTokenizer => SharedFixtures.Path("fixtures", "models", "tiny-llama", "tokenizer.json");

    public static string TinyCases => SharedFixtures.Path("fixtures", "tokenizers", "tiny", "cases.jsonl");

    public static string Qwen3Tokenizer => SharedFixtures.Path("fixtures", "tokenizers", "qwen3", "tokenizer.json");

    public static string Qwen3Cases => SharedFixtures.Path("fixtures", "tokenizers", "qwen3", "cases.jsonl");

    public static List<(int Line, string Text, int[] Ids)> Read(string path)
    {
        var cases = new List<(int, string, int[])>();
        var line = 0;
        foreach (var json in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(json)) continue;
            using var doc = JsonDocument.Parse(json);
            var text = doc.RootElement.GetProperty("text").GetString()!;
            var ids = doc.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            cases.Add((line, text, ids));
        }
        return cases;
    }
}
