using System.Text;
using System.Text.Json;

namespace ContinualTrainer.Guard;

/// <summary>
/// The probe suite the guard runs before and after every run: a JSONL file of
/// <c>{"prompt", "answer", "category", "match"?}</c> lines (<c>Guard:ProbeFile</c>), or, by default, probes
/// built from the general corpus's held-out text (<see cref="FromText"/>), so nothing has to be shipped.
/// </summary>
public static class ProbeSet
{
    public const long MaxFileBytes = 16 * 1024 * 1024;

    /// <summary>Reads a probe file; a bad line is an error naming the file and line (the suite must be what the user wrote).</summary>
    public static IReadOnlyList<Probe> Load(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new GuardException($"{path}: probe file not found");
        if (info.Length > MaxFileBytes) throw new GuardException($"{path}: probe file is {info.Length} bytes, more than the {MaxFileBytes} allowed");
        var probes = new List<Probe>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path, new UTF8Encoding(false, throwOnInvalidBytes: true)))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var document = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 8 });
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw new GuardException("not a JSON object");
                var prompt = Required(root, "prompt");
                var answer = Required(root, "answer");
                var category = root.TryGetProperty("category", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "default";
                var match = ProbeMatch.Contains;
                if (root.TryGetProperty("match", out var m))
                {
                    match = m.GetString() switch
                    {
                        "exact" => ProbeMatch.Exact,
                        "contains" => ProbeMatch.Contains,
                        var other => throw new GuardException($"\"match\" must be \"exact\" or \"contains\", not \"{other}\""),
                    };
                }
                if (answer.Trim().Length == 0) throw new GuardException("\"answer\" is empty");
                probes.Add(new Probe(prompt, answer, category, match));
            }
            catch (Exception e) when (e is JsonException or GuardException or InvalidOperationException)
            {
                throw new GuardException($"{path} line {lineNumber}: {e.Message.ReplaceLineEndings(" ")}");
            }
        }
        if (probes.Count == 0) throw new GuardException($"{path}: no probes");
        return probes;
    }

    private static string Required(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new GuardException($"\"{name}\" must be a string");

    /// <summary>
    /// Default probes from held-out general text, deterministic from <paramref name="seed"/>:
    /// <c>cloze</c> — the first words of a sentence, answer its next word (what the model knows of language);
    /// <c>recall</c> — a run of words shown twice, the second time cut short, answer the word that followed
    /// (copying from context, which forgetting damages early).
    /// </summary>
    public static IReadOnlyList<Probe> FromText(string text, int perCategory, int seed)
    {
        var sentences = text.Split(['.', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(words => words.Length >= 8 && words.All(IsPlainWord))
            .ToList();
        var random = new Random(seed);
        var probes = new List<Probe>();
        foreach (var words in Sample(sentences, perCategory, random))
        {
            var cut = random.Next(4, words.Length - 1);
            probes.Add(new Probe(string.Join(' ', words[..cut]), words[cut], "cloze", ProbeMatch.Exact));
        }
        foreach (var words in Sample(sentences, perCategory, random))
        {
            var span = words[..Math.Min(words.Length, 10)];
            var cut = random.Next(3, span.Length);
            var prompt = string.Join(' ', span) + " . " + string.Join(' ', span[..cut]);
            probes.Add(new Probe(prompt, span[cut], "recall", ProbeMatch.Exact));
        }
        return probes;
    }

    private static IEnumerable<string[]> Sample(List<string[]> sentences, int count, Random random)
    {
        if (sentences.Count == 0) yield break;
        var order = Enumerable.Range(0, sentences.Count).ToArray();
        random.Shuffle(order);
        foreach (var i in order.Take(count)) yield return sentences[i];
    }

    // Words of letters only (with an apostrophe or hyphen inside): no markup, numbers or placeholders such as <unk>.
    private static bool IsPlainWord(string word) =>
        word.Length is > 0 and < 24 && char.IsLetter(word[0]) && word.All(c => char.IsLetter(c) || c is '\'' or '-');
}
