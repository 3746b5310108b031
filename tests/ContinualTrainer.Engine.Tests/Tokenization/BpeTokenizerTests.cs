using System.Text;
using ContinualTrainer.Engine.Tokenization;

namespace ContinualTrainer.Engine.Tests.Tokenization;

/// <summary>Special tokens, decoding and round trips on the shared tiny and Qwen3 tokenizers.</summary>
public sealed class BpeTokenizerTests
{
    private static readonly Lazy<BpeTokenizer> qwen3 = new(() => BpeTokenizer.FromFile(TokenizerCases.Qwen3Tokenizer));
    private static readonly Lazy<BpeTokenizer> tiny = new(() => BpeTokenizer.FromDirectory(SharedFixtures.Path("fixtures", "models", "tiny-llama")));

    [SharedFact]
    public void Special_tokens_in_the_text_are_single_tokens()
    {
        // Ids from the fixture's tokenizer_config.json added_tokens_decoder.
        var ids = qwen3.Value.Encode("<|im_start|>user\nhi<|im_end|><|endoftext|>");
        Assert.Equal(151644, ids[0]);
        Assert.Equal([151645, 151643], ids[^2..]);
        Assert.DoesNotContain(ids[1..^2], id => id >= 151643);
    }

    [SharedFact]
    public void Reads_special_tokens_and_chat_template_from_tokenizer_config()
    {
        var tokenizer = qwen3.Value;
        Assert.Equal(new TokenizerSpecialTokens(null, null, "<|im_end|>", 151645, "<|endoftext|>", 151643, null, null), tokenizer.Special);
        Assert.StartsWith("{%- if tools %}", tokenizer.ChatTemplate);
        Assert.Equal(26, tokenizer.AddedTokens.Count);
        Assert.Equal(151669, tokenizer.VocabSize);
        Assert.Equal(1023, tiny.Value.Special.EosId);
    }

    [SharedFact]
    public void Looks_up_tokens_and_ids_both_ways()
    {
        var tokenizer = qwen3.Value;
        Assert.Equal(151667, tokenizer.TokenToId("<think>"));
        Assert.Equal("<think>", tokenizer.IdToToken(151667));
        Assert.Equal(220, tokenizer.TokenToId("Ġ"));
        Assert.Null(tokenizer.TokenToId("no such token"));
        Assert.Null(tokenizer.IdToToken(-1));
        Assert.Null(tokenizer.IdToToken(tokenizer.VocabSize));
    }

    [SharedFact]
    public void Decodes_a_character_split_across_byte_tokens_only_when_all_bytes_are_present()
    {
        // The tiny tokenizer spells 😀 (F0 9F 98 80) as four byte tokens: ids 240, 159, 152, 128.
        var tokenizer = tiny.Value;
        var ids = tokenizer.Encode("😀");
        Assert.Equal([240, 159, 152, 128], ids);
        Assert.Equal("😀", tokenizer.Decode(ids));
        Assert.Equal("\uFFFD", tokenizer.Decode(ids.AsSpan(0, 3)));
    }

    [SharedFact]
    public void Decodes_invalid_utf8_with_one_replacement_per_maximal_subpart()
    {
        // The example of the Unicode Standard, chapter 3 ("U+FFFD Substitution of Maximal Subparts").
        byte[] bytes = [0x61, 0xF1, 0x80, 0x80, 0xE1, 0x80, 0xC2, 0x62, 0x80, 0x63, 0x80, 0xBF, 0x64];
        var tokenizer = qwen3.Value;
        var ids = bytes.Select(b => tokenizer.TokenToId(ByteLevelAlphabet.ByteToChar[b].ToString())!.Value).ToArray();
        Assert.Equal("a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd", tokenizer.Decode(ids));
    }

    [SharedFact]
    public void Decode_rejects_an_id_outside_the_vocabulary()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => qwen3.Value.Decode([9707, 999_999]));
        Assert.Contains("position 1", e.Message);
    }

    [SharedFact]
    public void Encode_appends_to_the_given_list()
    {
        var output = new List<int> { -7 };
        qwen3.Value.Encode("Hello, world!", output);
        Assert.Equal([-7, 9707, 11, 1879, 0], output); // ids from the qwen3 cases.jsonl, line 1
    }

    [SharedFact]
    public void Encodes_a_lone_surrogate_as_the_replacement_character() =>
        Assert.Equal(qwen3.Value.Encode("a\uFFFDb"), qwen3.Value.Encode("a\uD800b"));

    [SharedFact]
    public void Qwen3_round_trips_random_unicode() => AssertRandomRoundTrips(qwen3.Value, seed: 1234);

    [SharedFact]
    public void Tiny_round_trips_random_unicode() => AssertRandomRoundTrips(tiny.Value, seed: 4321);

    [SharedFact]
    public void Concurrent_encoding_gives_the_sequential_ids()
    {
        var lines = File.ReadLines(SharedFixtures.Path("corpora", "wikitext-2", "valid.txt")).Take(400).ToArray();
        var tokenizer = BpeTokenizer.FromFile(TokenizerCases.Qwen3Tokenizer); // fresh, empty word cache
        var concurrent = new int[lines.Length][];
        Parallel.For(0, lines.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => concurrent[i] = tokenizer.Encode(lines[i]));
        var sequential = BpeTokenizer.FromFile(TokenizerCases.Qwen3Tokenizer);
        for (var i = 0; i < lines.Length; i++) Assert.Equal(sequential.Encode(lines[i]), concurrent[i]);
    }

    private static void AssertRandomRoundTrips(BpeTokenizer tokenizer, int seed)
    {
        var random = new Random(seed);
        for (var n = 0; n < 300; n++)
        {
            var text = RandomText(random, random.Next(1, 60));
            var expected = UnicodeNormalizer.Normalize(text, composed: true);
            var decoded = tokenizer.Decode(tokenizer.Encode(text));
            Assert.True(expected == decoded, $"seed {seed}, string {n}: [{Hex(text)}] decoded as [{Hex(decoded)}]");
        }
    }

    // Scalar values drawn from ranges chosen to stress splitting and merging.
    private static string RandomText(Random random, int length)
    {
        (int From, int To)[] ranges =
        [
            (0x20, 0x7E), (0x20, 0x7E), (0x00, 0x1F), (0x80, 0xFF), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF),
            (0x4E00, 0x9FFF), (0x3040, 0x30FF), (0xAC00, 0xD7A3), (0x1100, 0x11FF), (0x2000, 0x206F), (0x3000, 0x3000),
            (0x1F300, 0x1F64F), (0x1D400, 0x1D7FF), (0x20000, 0x2A6DF), (0x10000, 0x1007F), (0xFE00, 0xFE0F), (0xE000, 0xE0FF),
        ];
        string[] whitespace = [" ", "  ", "\n", "\r\n", "\t", "\u00A0", "\u2003", "   \n\n"];
        var builder = new StringBuilder();
        while (builder.Length < length)
        {
            if (random.Next(6) == 0)
            {
                builder.Append(whitespace[random.Next(whitespace.Length)]);
                continue;
            }
            var (from, to) = ranges[random.Next(ranges.Length)];
            builder.Append(char.ConvertFromUtf32(random.Next(from, to + 1)));
        }
        return builder.ToString();
    }

    private static string Hex(string text) => string.Join(" ", text.EnumerateRunes().Select(r => r.Value.ToString("X4")));
}
