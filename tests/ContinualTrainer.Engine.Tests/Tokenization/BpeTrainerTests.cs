using ContinualTrainer.Engine.Tokenization;

namespace ContinualTrainer.Engine.Tests.Tokenization;

public sealed class BpeTrainerTests : IDisposable
{
    private static readonly string[] Specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

    // Hugging Face's course example, one pre-token per text: hug x10, pug x5, pun x12, bun x4, hugs x5.
    private static readonly string[] Toy =
    [
        .. Enumerable.Repeat("hug", 10), .. Enumerable.Repeat("pug", 5), .. Enumerable.Repeat("pun", 12),
        .. Enumerable.Repeat("bun", 4), .. Enumerable.Repeat("hugs", 5),
    ];

    // Worked out by hand. Pairs: hu 15, ug 20, pu 17, un 16, bu 4, gs 5 -> ug.
    // Then h·ug 15, p·ug 5, pu 12, un 16, bu 4, ug·s 5 -> un. Then h·ug 15, p·ug 5, p·un 12, b·un 4, ug·s 5 -> hug.
    // Then p·ug 5, p·un 12, b·un 4, hug·s 5 -> pun. Then p·ug 5 and hug·s 5 tie; p (112) < hug (258) -> pug; then hugs; then bun.
    private static readonly (string, string)[] ToyMerges = [("u", "g"), ("u", "n"), ("h", "ug"), ("p", "un"), ("p", "ug"), ("hug", "s"), ("b", "un")];

    private readonly string directory = Directory.CreateTempSubdirectory("h12-bpe-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static (string, string)[] MergeTexts(TrainedBpe bpe) =>
        [.. bpe.Merges.Select(m => (bpe.Tokens[m.Left], bpe.Tokens[m.Right]))];

    [Fact]
    public void Learns_the_merges_worked_out_by_hand_on_a_toy_corpus()
    {
        var bpe = BpeTrainer.Train(Toy, new BpeTrainerOptions(1000, Specials));

        Assert.Equal(ToyMerges, MergeTexts(bpe));
        Assert.Equal(["ug", "un", "hug", "pun", "pug", "hugs", "bun"], bpe.Tokens.Skip(256).Take(7));
        Assert.Equal(Specials, bpe.Tokens.Skip(263));
        Assert.Equal((266, 263), (bpe.VocabSize, bpe.FirstSpecialId));
        Assert.Equal([256, 257, 258, 259, 260, 261, 262], bpe.Merges.Select(m => m.Merged));
    }

    [Fact]
    public void Stops_when_the_vocabulary_is_full()
    {
        var bpe = BpeTrainer.Train(Toy, new BpeTrainerOptions(256 + 3 + Specials.Length, Specials));

        Assert.Equal(ToyMerges[..3], MergeTexts(bpe));
        Assert.Equal(262, bpe.VocabSize);
    }

    [Fact]
    public void Stops_when_no_pair_occurs_the_minimum_number_of_times()
    {
        var bpe = BpeTrainer.Train(Toy, new BpeTrainerOptions(1000, Specials, MinPairCount: 5));

        Assert.Equal(ToyMerges[..6], MergeTexts(bpe)); // b·un occurs 4 times
    }

    [Fact]
    public void Counts_words_after_the_byte_level_pre_tokenizer()
    {
        // Pre-tokens: "hug", " hug" twice (the space as the byte-level symbol Ġ), "!!". Pairs: hu 3, ug 3, Ġh 2, !! 1.
        // hu and ug tie; h (104) < u (117) -> hu. Then hu·g 3 -> hug; then Ġ·hug 2; !! occurs once, below the minimum of 2.
        var bpe = BpeTrainer.Train(["hug hug hug!!"], new BpeTrainerOptions(1000, Specials));

        Assert.Equal([("h", "u"), ("hu", "g"), ("Ġ", "hug")], MergeTexts(bpe));
    }

    [Fact]
    public void Training_is_deterministic_and_independent_of_text_order()
    {
        var text = File.ReadAllText(TokenizerCorpusPath());
        var paragraphs = text.Split("\n\n");
        var options = new BpeTrainerOptions(350, Specials);

        var first = BpeTrainer.Train(paragraphs, options);
        var again = BpeTrainer.Train(paragraphs, options);
        var reversed = BpeTrainer.Train(paragraphs.Reverse(), options);

        Assert.Equal(350, first.VocabSize);
        Assert.Equal(first.Tokens, again.Tokens);
        Assert.Equal(first.Merges, again.Merges);
        Assert.Equal(first.Tokens, reversed.Tokens);
        Assert.Equal(first.Merges, reversed.Merges);
    }

    [Fact]
    public void Incremental_pair_counts_learn_what_recounting_every_pair_at_each_merge_learns()
    {
        var texts = File.ReadAllText(TokenizerCorpusPath()).Split("\n\n").Append("aaaa aaaaa ab abab ababab 1111 !!!! \u00e9\u00e9\u00e9");
        var bpe = BpeTrainer.Train(texts, new BpeTrainerOptions(400, Specials));

        Assert.Equal(NaiveMerges(texts, 400 - Specials.Length), MergeTexts(bpe));
    }

    [Fact]
    public void Written_tokenizer_applies_the_learned_merges()
    {
        var tokenizer = WriteAndLoad(BpeTrainer.Train(Toy, new BpeTrainerOptions(1000, Specials)));

        Assert.Equal([tokenizer.TokenToId("hugs")!.Value], tokenizer.Encode("hugs"));
        Assert.Equal([tokenizer.TokenToId("pug")!.Value, 's'], tokenizer.Encode("pugs"));
        Assert.Equal(['b', tokenizer.TokenToId("ug")!.Value], tokenizer.Encode("bug"));
    }

    [Theory]
    [InlineData("plain English, with punctuation; and numbers 12345.")]
    [InlineData("emoji 👩‍👩‍👧 and 🎉🎉 flags 🇫🇷")]
    [InlineData("漢字かな交じり文 and 한국어")]
    [InlineData("combining e\u0301 vs precomposed é, a\u0308\u0304")]
    [InlineData("controls \u0000\u0001\u0007\t\r\n\u001b[31m and DEL \u007f")]
    [InlineData("   leading and trailing spaces   \n\n\n")]
    [InlineData("RTL שלום עולם and mixed ١٢٣")]
    public void Written_tokenizer_round_trips_any_text_byte_exactly(string text)
    {
        var tokenizer = WriteAndLoad(BpeTrainer.Train(File.ReadAllText(TokenizerCorpusPath()).Split("\n\n"), new BpeTrainerOptions(500, Specials)));

        var ids = tokenizer.Encode(text);

        Assert.Equal(text, tokenizer.Decode(ids));
        Assert.All(ids, id => Assert.InRange(id, 0, tokenizer.VocabSize - 1));
    }

    [Fact]
    public void Special_tokens_encode_to_their_ids_and_the_config_names_them()
    {
        var bpe = BpeTrainer.Train(Toy, new BpeTrainerOptions(1000, Specials));
        var tokenizer = WriteAndLoad(bpe);
        int imStart = bpe.SpecialId("<|im_start|>"), imEnd = bpe.SpecialId("<|im_end|>"), endOfText = bpe.SpecialId("<|endoftext|>");

        var ids = tokenizer.Encode("<|im_start|>hug<|im_end|><|endoftext|>");

        Assert.Equal([imStart, tokenizer.TokenToId("hug")!.Value, imEnd, endOfText], ids);
        Assert.Equal((263, 264, 265), (endOfText, imStart, imEnd));
        Assert.Equal(("<|im_end|>", imEnd), (tokenizer.Special.EosToken, tokenizer.Special.EosId));
        Assert.Equal(("<|endoftext|>", endOfText), (tokenizer.Special.PadToken, tokenizer.Special.PadId));
        Assert.Null(tokenizer.Special.BosToken);
        Assert.Equal("{{ chat }}", tokenizer.ChatTemplate);
        Assert.Equal(266, tokenizer.VocabSize);
    }

    [Fact]
    public void Rejects_an_end_of_sequence_token_that_is_not_special()
    {
        var bpe = BpeTrainer.Train(Toy, new BpeTrainerOptions(1000, Specials));

        var error = Assert.Throws<ArgumentException>(() => TokenizerJsonWriter.Write(directory, bpe, new TokenizerConfigSettings(null, "hug", null, null, 512)));

        Assert.StartsWith("eos_token 'hug' is not one of the vocabulary's special tokens", error.Message);
    }

    [Fact]
    public void Rejects_a_vocabulary_too_small_for_the_bytes_and_special_tokens() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => BpeTrainer.Train(Toy, new BpeTrainerOptions(258, Specials)));

    // The textbook algorithm: count every adjacent pair of every word again before each merge.
    private static (string, string)[] NaiveMerges(IEnumerable<string> texts, int targetTokens)
    {
        var wordCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        var sink = new WordCounter(wordCounts);
        var preTokenizer = BpeTrainer.CreatePreTokenizer();
        foreach (var text in texts) preTokenizer.Run(text, ref sink);
        var tokens = Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.ByteToChar[b].ToString()).ToList();
        var words = wordCounts.Select(w => (Ids: System.Text.Encoding.UTF8.GetBytes(w.Key).Select(b => (int)b).ToList(), Count: w.Value)).ToList();
        var merges = new List<(string, string)>();
        while (tokens.Count < targetTokens)
        {
            var pairs = new Dictionary<(int, int), long>();
            foreach (var (ids, count) in words)
                for (var i = 0; i + 1 < ids.Count; i++) pairs[(ids[i], ids[i + 1])] = pairs.GetValueOrDefault((ids[i], ids[i + 1])) + count;
            if (pairs.Count == 0) break;
            var best = pairs.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Item1).ThenBy(p => p.Key.Item2).First();
            if (best.Value < 2) break;
            var (left, right) = best.Key;
            var text = tokens[left] + tokens[right];
            var merged = tokens.IndexOf(text);
            if (merged < 0)
            {
                merged = tokens.Count;
                tokens.Add(text);
            }
            if (!merges.Contains((tokens[left], tokens[right]))) merges.Add((tokens[left], tokens[right]));
            foreach (var (ids, _) in words)
            {
                for (var i = 0; i + 1 < ids.Count; i++)
                {
                    if (ids[i] != left || ids[i + 1] != right) continue;
                    ids[i] = merged;
                    ids.RemoveAt(i + 1);
                }
            }
        }
        return [.. merges];
    }

    private BpeTokenizer WriteAndLoad(TrainedBpe bpe)
    {
        TokenizerJsonWriter.Write(directory, bpe, new TokenizerConfigSettings(null, "<|im_end|>", "<|endoftext|>", "{{ chat }}", 512));
        return BpeTokenizer.FromDirectory(directory);
    }

    // A few kilobytes of English with digits, punctuation and newlines, written by the test.
    private string TokenizerCorpusPath()
    {
        var path = Path.Combine(directory, "corpus.txt");
        var sentences = new[]
        {
            "The quick brown fox jumps over the lazy dog.", "A journey of 1000 miles begins with a single step!",
            "It's 3:45 pm; the train (number 42) hasn't arrived yet.", "She said: \"we'll see, won't we?\"",
            "Numbers like 3.14159 and 2,718 appear in tables.", "apt-get install the packages, then run the daemon.",
        };
        File.WriteAllText(path, string.Join("\n\n", Enumerable.Range(0, 60).Select(i => sentences[i % sentences.Length] + " " + sentences[(i * 7 + 3) % sentences.Length])));
        return path;
    }
}
