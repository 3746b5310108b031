using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// Reads a Hugging Face <c>tokenizer.json</c> holding a byte-level BPE tokenizer (GPT-2, Llama 3,
/// Qwen2/3 style) into a <see cref="TokenizerDefinition"/>. Anything it cannot honour exactly — another
/// model type, an unknown normalizer, pre-tokenizer or decoder, merges naming unknown tokens — is
/// rejected with an <see cref="InvalidDataException"/> whose one-line message names the file and key.
/// </summary>
internal static class TokenizerJsonReader
{
    public static TokenizerDefinition Read(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw Bad(path, $"is not valid JSON ({e.Message})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad(path, "is not a JSON object");
            if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
                throw Bad(path, "has no \"model\" object");
            var (bpe, unkToken) = ReadModel(path, model);
            var preTokenizer = ReadPreTokenizer(path, Optional(root, "pre_tokenizer"));
            CheckDecoder(path, Optional(root, "decoder"));
            return new TokenizerDefinition(
                bpe,
                new TextNormalizer(ReadNormalizer(path, Optional(root, "normalizer"), "normalizer")),
                preTokenizer,
                ReadAddedTokens(path, Optional(root, "added_tokens")),
                unkToken);
        }
    }

    private static (BpeModel Model, string? UnkToken) ReadModel(string path, JsonElement model)
    {
        var type = Optional(model, "type") is { ValueKind: JsonValueKind.String } t ? t.GetString() : null;
        if (type is null && !model.TryGetProperty("merges", out _)) throw Bad(path, "model has no \"type\" and is not BPE");
        if (type is not null and not "BPE") throw Bad(path, $"model type \"{type}\" is not supported (only BPE)");
        if (Optional(model, "dropout") is { ValueKind: JsonValueKind.Number } dropout && dropout.GetDouble() != 0)
            throw Bad(path, "model.dropout is not supported (BPE dropout is for training only)");
        foreach (var affix in (string[])["continuing_subword_prefix", "end_of_word_suffix"])
        {
            if (Optional(model, affix) is { ValueKind: JsonValueKind.String } s && s.GetString() != "")
                throw Bad(path, $"model.{affix} is not supported by byte-level BPE");
        }

        if (!model.TryGetProperty("vocab", out var vocabElement) || vocabElement.ValueKind != JsonValueKind.Object)
            throw Bad(path, "model has no \"vocab\" object");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocabElement.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out var id) || id < 0)
                throw Bad(path, $"model.vocab[\"{entry.Name}\"] is not a non-negative 32-bit id");
            vocab[entry.Name] = id;
        }

        if (!model.TryGetProperty("merges", out var mergesElement) || mergesElement.ValueKind != JsonValueKind.Array)
            throw Bad(path, "model has no \"merges\" array");
        var merges = new Dictionary<long, long>(mergesElement.GetArrayLength());
        var rank = 0;
        foreach (var merge in mergesElement.EnumerateArray())
        {
            var (left, right) = ReadMerge(path, merge, rank);
            var leftId = MergePart(path, vocab, rank, left, right, left);
            var rightId = MergePart(path, vocab, rank, left, right, right);
            var mergedId = MergePart(path, vocab, rank, left, right, left + right);
            merges[BpeModel.PairKey(leftId, rightId)] = BpeModel.MergeValue(rank, mergedId);
            rank++;
        }

        var unkToken = Optional(model, "unk_token") is { ValueKind: JsonValueKind.String } u ? u.GetString() : null;
        int? unkId = null;
        if (unkToken is not null)
        {
            if (!vocab.TryGetValue(unkToken, out var id)) throw Bad(path, $"model.unk_token \"{unkToken}\" is not in model.vocab");
            unkId = id;
        }
        var bpe = new BpeModel(vocab, merges, unkId, Flag(model, "byte_fallback"), Flag(model, "fuse_unk"), Flag(model, "ignore_merges"));
        return (bpe, unkToken);
    }

    private static (string Left, string Right) ReadMerge(string path, JsonElement merge, int rank)
    {
        if (merge.ValueKind == JsonValueKind.String)
        {
            var parts = merge.GetString()!.Split(' ');
            if (parts.Length == 2) return (parts[0], parts[1]);
        }
        else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
            && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
        {
            return (merge[0].GetString()!, merge[1].GetString()!);
        }
        throw Bad(path, $"model.merges[{rank}] is neither \"a b\" nor [\"a\", \"b\"]");
    }

    private static int MergePart(string path, Dictionary<string, int> vocab, int rank, string left, string right, string token) =>
        vocab.TryGetValue(token, out var id)
            ? id
            : throw Bad(path, $"model.merges[{rank}] (\"{left}\", \"{right}\") needs \"{token}\", which is not in model.vocab");

    private static List<NormalizationForm> ReadNormalizer(string path, JsonElement? element, string where)
    {
        var forms = new List<NormalizationForm>();
        if (element is not { } normalizer) return forms;
        switch (TypeOf(path, normalizer, where))
        {
            case "NFC":
                forms.Add(NormalizationForm.FormC);
                break;
            case "NFD":
                forms.Add(NormalizationForm.FormD);
                break;
            case "Sequence":
                var i = 0;
                foreach (var inner in ArrayOf(path, normalizer, "normalizers", where))
                    forms.AddRange(ReadNormalizer(path, inner, $"{where}.normalizers[{i++}]"));
                break;
            case var other:
                throw Bad(path, $"{where} type \"{other}\" is not supported (NFC, NFD or a Sequence of them)");
        }
        return forms;
    }

    private static PreTokenizer ReadPreTokenizer(string path, JsonElement? element)
    {
        var rules = new List<SplitRule>();
        if (element is not { } preTokenizer) return new PreTokenizer(rules, byteLevel: false, addPrefixSpace: false, useRegex: false);
        var isSequence = TypeOf(path, preTokenizer, "pre_tokenizer") == "Sequence";
        List<JsonElement> steps = isSequence ? [.. ArrayOf(path, preTokenizer, "pretokenizers", "pre_tokenizer")] : [preTokenizer];
        for (var i = 0; i < steps.Count; i++)
        {
            var where = isSequence ? $"pre_tokenizer.pretokenizers[{i}]" : "pre_tokenizer";
            switch (TypeOf(path, steps[i], where))
            {
                case "Split":
                    rules.Add(ReadSplit(path, steps[i], where));
                    break;
                case "ByteLevel":
                    if (i != steps.Count - 1) throw Bad(path, $"{where}: ByteLevel must be the last pre-tokenizer");
                    var useRegex = Optional(steps[i], "use_regex") is not { ValueKind: JsonValueKind.False };
                    return new PreTokenizer(rules, byteLevel: true, Flag(steps[i], "add_prefix_space"), useRegex);
                case var other:
                    throw Bad(path, $"{where} type \"{other}\" is not supported (Split, ByteLevel or a Sequence of them)");
            }
        }
        return new PreTokenizer(rules, byteLevel: false, addPrefixSpace: false, useRegex: false);
    }

    private static SplitRule ReadSplit(string path, JsonElement split, string where)
    {
        if (!split.TryGetProperty("pattern", out var pattern) || pattern.ValueKind != JsonValueKind.Object)
            throw Bad(path, $"{where} has no \"pattern\" object");
        string regexText;
        if (pattern.TryGetProperty("Regex", out var regex) && regex.ValueKind == JsonValueKind.String) regexText = regex.GetString()!;
        else if (pattern.TryGetProperty("String", out var literal) && literal.ValueKind == JsonValueKind.String) regexText = Regex.Escape(literal.GetString()!);
        else throw Bad(path, $"{where}.pattern is neither {{\"Regex\": ...}} nor {{\"String\": ...}}");
        var behaviorName = Optional(split, "behavior") is { ValueKind: JsonValueKind.String } b ? b.GetString() : null;
        if (!Enum.TryParse<SplitBehavior>(behaviorName, ignoreCase: false, out var behavior) || !Enum.IsDefined(behavior))
            throw Bad(path, $"{where}.behavior \"{behaviorName}\" is not one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous");
        Regex compiled;
        try
        {
            compiled = SplitRule.Compile(regexText);
        }
        catch (ArgumentException e)
        {
            throw Bad(path, $"{where}.pattern does not compile as a .NET regex ({e.Message})");
        }
        return new SplitRule(compiled, behavior, Flag(split, "invert"));
    }

    private static void CheckDecoder(string path, JsonElement? element)
    {
        if (element is not { } decoder) throw Bad(path, "has no \"decoder\" (byte-level BPE needs the ByteLevel decoder)");
        var type = TypeOf(path, decoder, "decoder");
        if (type != "ByteLevel") throw Bad(path, $"decoder type \"{type}\" is not supported (only ByteLevel)");
    }

    private static List<AddedToken> ReadAddedTokens(string path, JsonElement? element)
    {
        var tokens = new List<AddedToken>();
        if (element is not { } array) return tokens;
        if (array.ValueKind != JsonValueKind.Array) throw Bad(path, "added_tokens is not an array");
        var i = 0;
        foreach (var token in array.EnumerateArray())
        {
            if (token.ValueKind != JsonValueKind.Object
                || !token.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.Number || !id.TryGetInt32(out var idValue) || idValue < 0
                || !token.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
                throw Bad(path, $"added_tokens[{i}] needs a non-negative \"id\" and a string \"content\"");
            var special = Flag(token, "special");
            var normalized = Optional(token, "normalized") is { } n ? n.ValueKind == JsonValueKind.True : !special;
            tokens.Add(new AddedToken(idValue, content.GetString()!, special, Flag(token, "single_word"), Flag(token, "lstrip"), Flag(token, "rstrip"), normalized));
            i++;
        }
        return tokens;
    }

    private static string TypeOf(string path, JsonElement element, string where) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
            ? type.GetString()!
            : throw Bad(path, $"{where} has no string \"type\"");

    private static IEnumerable<JsonElement> ArrayOf(string path, JsonElement element, string name, string where) =>
        element.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray()
            : throw Bad(path, $"{where} has no \"{name}\" array");

    private static JsonElement? Optional(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static bool Flag(JsonElement element, string name) => Optional(element, name) is { ValueKind: JsonValueKind.True };

    private static InvalidDataException Bad(string path, string message) => new($"tokenizer file '{path}' {message}");
}
