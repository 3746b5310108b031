using System.Text;
using System.Text.Json;
using ContinualTrainer.Engine.Tokenization;

namespace ContinualTrainer.Engine.Tests.Tokenization;

/// <summary>
/// The heap-based merge loop of <see cref="BpeModel"/> against a naive reference (rescan all pairs,
/// merge the lowest-ranked leftmost one, repeat) on real words with the Qwen3 vocabulary.
/// </summary>
public sealed class BpeModelReferenceTests
{
    [SharedFact]
    public void Heap_merge_loop_agrees_with_the_naive_reference_on_wikitext_words()
    {
        var definition = TokenizerJsonReader.Read(TokenizerCases.Qwen3Tokenizer);
        var reference = NaiveBpe.Load(TokenizerCases.Qwen3Tokenizer);
        var words = new WordCollector();
        foreach (var line in File.ReadLines(SharedFixtures.Path("corpora", "wikitext-2", "test.txt")).Take(300))
            definition.PreTokenizer.Run(line, ref words);
        words.Words.Add(new string('x', 200));            // a long word: many heap operations
        words.Words.Add(string.Concat(Enumerable.Repeat("ab", 70)));
        Assert.True(words.Words.Count > 1000);

        foreach (var word in words.Words.Distinct())
        {
            var symbols = ByteLevel(word);
            var actual = new List<int>();
            definition.Model.Tokenize(symbols, actual);
            Assert.True(reference.Tokenize(symbols).SequenceEqual(actual), $"word \"{word}\"");
        }
    }

    private static string ByteLevel(string word) =>
        string.Concat(Encoding.UTF8.GetBytes(word).Select(b => ByteLevelAlphabet.ByteToChar[b]));

    private struct WordCollector : IPreTokenSink
    {
        public WordCollector() { }

        public List<string> Words { get; } = [];

        public readonly void Accept(ReadOnlySpan<char> preToken) => Words.Add(preToken.ToString());
    }

    private sealed class NaiveBpe(Dictionary<string, int> vocab, Dictionary<(string, string), int> ranks)
    {
        public static NaiveBpe Load(string path)
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var model = doc.RootElement.GetProperty("model");
            var vocab = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
            var ranks = new Dictionary<(string, string), int>();
            var rank = 0;
            foreach (var merge in model.GetProperty("merges").EnumerateArray())
            {
                var pair = merge.ValueKind == JsonValueKind.String
                    ? (merge.GetString()!.Split(' ')[0], merge.GetString()!.Split(' ')[1])
                    : (merge[0].GetString()!, merge[1].GetString()!);
                ranks.TryAdd(pair, rank++);
            }
            return new NaiveBpe(vocab, ranks);
        }

        public List<int> Tokenize(string word)
        {
            var symbols = word.Select(c => c.ToString()).ToList();
            while (true)
            {
                var best = -1;
                var bestRank = int.MaxValue;
                for (var i = 0; i + 1 < symbols.Count; i++)
                {
                    if (ranks.TryGetValue((symbols[i], symbols[i + 1]), out var r) && r < bestRank) (best, bestRank) = (i, r);
                }
                if (best < 0) break;
                symbols[best] += symbols[best + 1];
                symbols.RemoveAt(best + 1);
            }
            return symbols.Select(s => vocab[s]).ToList();
        }
    }
}
