using System.Text.Json.Nodes;
using ContinualTrainer.Engine.Tokenization;

namespace ContinualTrainer.Tests.Dataset;

/// <summary>
/// Model folders for the dataset tests: the tiny fixture models (a ChatML tokenizer), the real Qwen3 tokenizer,
/// and variants of the tiny tokenizer written into a temporary folder whose added tokens are Llama 3's
/// (<c>&lt;|begin_of_text|&gt;</c>, <c>&lt;|start_header_id|&gt;</c>, <c>&lt;|end_header_id|&gt;</c>, <c>&lt;|eot_id|&gt;</c>)
/// or only an EOS token (the plain format).
/// </summary>
internal static class TestModels
{
    public static string TinyLlama => SharedFixtures.Path("fixtures", "models", "tiny-llama");

    public static string Qwen3Tokenizer => SharedFixtures.Path("fixtures", "tokenizers", "qwen3");

    /// <summary>The tiny tokenizer with Llama 3's special tokens instead of ChatML's, in <paramref name="folder"/>.</summary>
    public static string WriteLlama3(string folder) => WriteVariant(folder,
        ["<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"],
        """{ "bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>" }""");

    /// <summary>The tiny tokenizer with only <c>&lt;|endoftext|&gt;</c>, named as EOS (or not at all), in <paramref name="folder"/>.</summary>
    public static string WritePlain(string folder, bool withEos = true) => WriteVariant(folder,
        ["<|endoftext|>"],
        withEos ? """{ "eos_token": "<|endoftext|>" }""" : "{}");

    /// <summary>A copy of the tiny model's tokenizer files in <paramref name="folder"/> (to change them).</summary>
    public static string CopyTiny(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var name in new[] { "tokenizer.json", "tokenizer_config.json", "config.json" })
            File.Copy(Path.Combine(TinyLlama, name), Path.Combine(folder, name));
        return folder;
    }

    public static BpeTokenizer Load(string folder) => BpeTokenizer.FromDirectory(folder);

    private static string WriteVariant(string folder, string[] addedTokens, string config)
    {
        Directory.CreateDirectory(folder);
        var document = JsonNode.Parse(File.ReadAllText(Path.Combine(TinyLlama, "tokenizer.json")))!.AsObject();
        var firstId = document["added_tokens"]!.AsArray().Min(t => (int)t!["id"]!);
        var added = new JsonArray();
        for (var i = 0; i < addedTokens.Length; i++)
        {
            added.Add(new JsonObject
            {
                ["id"] = firstId + i,
                ["content"] = addedTokens[i],
                ["single_word"] = false,
                ["lstrip"] = false,
                ["rstrip"] = false,
                ["normalized"] = false,
                ["special"] = true,
            });
        }
        document["added_tokens"] = added;
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), document.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), config);
        return folder;
    }
}
