using System.Text;

namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// Learns a byte-level BPE vocabulary (GPT-2 / Qwen style) from text. The text is pre-tokenized exactly as the
/// written <c>tokenizer.json</c> will pre-tokenize it (<see cref="SplitPattern"/>, then ByteLevel), each distinct
/// pre-token is counted once with its frequency, and the most frequent adjacent pair of symbols is merged into a
/// new token again and again until the vocabulary is full or no pair occurs <see cref="BpeTrainerOptions.MinPairCount"/>
/// times. Ties go to the pair with the smaller ids (left, then right), so the result is deterministic. Pair counts
/// are kept up to date incrementally: a merge only revisits the words that contain the merged pair, the pairs it
/// creates are queued at their counts, and entries of the priority queue whose count has changed since (pairs next
/// to a merge lose occurrences) are re-queued at their true count when they surface.
/// </summary>
public static class BpeTrainer
{
    /// <summary>Tokens 0..255: one per byte value.</summary>
    public const int ByteTokens = 256;

    /// <summary>The pre-tokenizer split of Qwen2/Qwen3 (and our tokenizer fixtures): contractions, words with one leading non-letter, single digits, punctuation runs, newlines, spaces.</summary>
    public const string SplitPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Learns the vocabulary of <paramref name="texts"/> (each text is pre-tokenized on its own).</summary>
    public static TrainedBpe Train(IEnumerable<string> texts, BpeTrainerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var wordCounts = CountWords(texts, cancellationToken);
        var (words, lengths, counts) = ToByteSymbols(wordCounts);
        var tokens = new List<string>(options.VocabSize);
        var alphabet = ByteLevelAlphabet.ByteToChar;
        for (var b = 0; b < ByteTokens; b++) tokens.Add(alphabet[b].ToString());
        var merges = Learn(words, lengths, counts, tokens, options.VocabSize - options.SpecialTokens.Count, options.MinPairCount, cancellationToken);
        tokens.AddRange(options.SpecialTokens);
        return new TrainedBpe(tokens, merges, options.SpecialTokens.Count);
    }

    /// <summary>The pre-tokenizer <c>tokenizer.json</c> files written by <see cref="TokenizerJsonWriter"/> describe.</summary>
    internal static PreTokenizer CreatePreTokenizer() =>
        new([new SplitRule(SplitRule.Compile(SplitPattern), SplitBehavior.Isolated, invert: false)], byteLevel: true, addPrefixSpace: false, useRegex: false);

    private static Dictionary<string, long> CountWords(IEnumerable<string> texts, CancellationToken cancellationToken)
    {
        var preTokenizer = CreatePreTokenizer();
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var sink = new WordCounter(counts);
        foreach (var text in texts)
        {
            cancellationToken.ThrowIfCancellationRequested();
            preTokenizer.Run(text, ref sink);
        }
        return counts;
    }

    // Each distinct word as its UTF-8 bytes (symbol id = byte value), with its count.
    private static (int[][] Words, int[] Lengths, long[] Counts) ToByteSymbols(Dictionary<string, long> wordCounts)
    {
        var words = new int[wordCounts.Count][];
        var lengths = new int[wordCounts.Count];
        var counts = new long[wordCounts.Count];
        var w = 0;
        foreach (var (word, count) in wordCounts)
        {
            var bytes = Encoding.UTF8.GetBytes(word);
            words[w] = Array.ConvertAll(bytes, b => (int)b);
            lengths[w] = bytes.Length;
            counts[w] = count;
            w++;
        }
        return (words, lengths, counts);
    }

    private static List<BpeMerge> Learn(int[][] words, int[] lengths, long[] counts, List<string> tokens, int targetTokens, long minPairCount,
        CancellationToken cancellationToken)
    {
        var pairCounts = new Dictionary<SymbolPair, long>();
        var pairWords = new Dictionary<SymbolPair, HashSet<int>>();
        for (var w = 0; w < words.Length; w++)
        {
            for (var i = 0; i + 1 < lengths[w]; i++)
            {
                var pair = new SymbolPair(words[w][i], words[w][i + 1]);
                pairCounts[pair] = pairCounts.GetValueOrDefault(pair) + counts[w];
                Where(pairWords, pair).Add(w);
            }
        }
        var queue = new PriorityQueue<SymbolPair, (long, SymbolPair)>(MergeCandidateComparer.Instance);
        foreach (var (pair, count) in pairCounts) queue.Enqueue(pair, (count, pair));

        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var id = 0; id < tokens.Count; id++) ids[tokens[id]] = id;
        var merges = new List<BpeMerge>();
        var learned = new HashSet<SymbolPair>();
        var born = new HashSet<SymbolPair>();
        while (tokens.Count < targetTokens && queue.TryDequeue(out var best, out var queued))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = pairCounts.GetValueOrDefault(best);
            if (count != queued.Item1)
            {
                if (count > 0) queue.Enqueue(best, (count, best)); // a stale entry: back in at the pair's true count
                continue;
            }
            if (count < minPairCount) break;

            // Two merge paths can spell the same token ("ab"+"c", "a"+"bc"): it keeps one id, as in Hugging Face's trainer.
            var text = tokens[best.Left] + tokens[best.Right];
            if (!ids.TryGetValue(text, out var merged))
            {
                merged = tokens.Count;
                tokens.Add(text);
                ids[text] = merged;
            }
            // A pair merged before can form again when a token it holds is re-made by another path; its merge is listed once.
            if (learned.Add(best)) merges.Add(new BpeMerge(best.Left, best.Right, merged));

            born.Clear();
            foreach (var w in pairWords[best].ToArray())
                MergeWord(words[w], ref lengths[w], counts[w], w, best, merged, pairCounts, pairWords, born);
            pairCounts.Remove(best);
            pairWords.Remove(best);
            foreach (var pair in born)
            {
                if (pairCounts.TryGetValue(pair, out var c) && c > 0) queue.Enqueue(pair, (c, pair));
            }
        }
        return merges;
    }

    // Replaces every occurrence of `pair` in word w (left to right, not overlapping) by `merged`, and moves the word's
    // contribution to the pair counts from its old pairs to its new ones. New pairs (with `merged`) go into `born`.
    private static void MergeWord(int[] symbols, ref int length, long count, int w, SymbolPair pair, int merged,
        Dictionary<SymbolPair, long> pairCounts, Dictionary<SymbolPair, HashSet<int>> pairWords, HashSet<SymbolPair> born)
    {
        var oldLength = length;
        Span<int> old = oldLength <= 128 ? stackalloc int[oldLength] : new int[oldLength];
        symbols.AsSpan(0, oldLength).CopyTo(old);
        for (var i = 0; i + 1 < oldLength; i++)
        {
            var p = new SymbolPair(old[i], old[i + 1]);
            var left = pairCounts[p] - count;
            if (left == 0) pairCounts.Remove(p);
            else pairCounts[p] = left;
        }

        var n = 0;
        for (var i = 0; i < oldLength; i++)
        {
            if (i + 1 < oldLength && old[i] == pair.Left && old[i + 1] == pair.Right)
            {
                symbols[n++] = merged;
                i++;
            }
            else
            {
                symbols[n++] = old[i];
            }
        }
        length = n;

        for (var i = 0; i + 1 < n; i++)
        {
            var p = new SymbolPair(symbols[i], symbols[i + 1]);
            pairCounts[p] = pairCounts.GetValueOrDefault(p) + count;
            Where(pairWords, p).Add(w);
            if (p.Left == merged || p.Right == merged) born.Add(p);
        }
        for (var i = 0; i + 1 < oldLength; i++)
        {
            var p = new SymbolPair(old[i], old[i + 1]);
            if (p != pair && !Contains(symbols.AsSpan(0, n), p) && pairWords.TryGetValue(p, out var holders)) holders.Remove(w);
        }
    }

    private static bool Contains(ReadOnlySpan<int> symbols, SymbolPair pair)
    {
        for (var i = 0; i + 1 < symbols.Length; i++)
            if (symbols[i] == pair.Left && symbols[i + 1] == pair.Right) return true;
        return false;
    }

    private static HashSet<int> Where(Dictionary<SymbolPair, HashSet<int>> pairWords, SymbolPair pair)
    {
        if (!pairWords.TryGetValue(pair, out var holders)) pairWords[pair] = holders = [];
        return holders;
    }
}
