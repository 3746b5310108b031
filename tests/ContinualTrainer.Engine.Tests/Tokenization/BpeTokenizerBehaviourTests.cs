using System.Text.Json.Nodes;
using ContinualTrainer.Engine.Tokenization;

namespace ContinualTrainer.Engine.Tests.Tokenization;

/// <summary>Model, pre-tokenizer and added-token rules on small hand-made tokenizers (ids 0..255 are bytes).</summary>
public sealed class BpeTokenizerBehaviourTests : IDisposable
{
    private readonly SyntheticTokenizer files = new();

    public void Dispose() => files.Dispose();

    [Fact]
    public void Applies_the_lowest_ranked_merge_first()
    {
        // "abc": (b,c) outranks (a,b), so the word becomes a|bc, then abc.
        var tokenizer = files.Load(SyntheticTokenizer.ByteLevelDocument(["bc", "ab", "abc"], [("b", "c"), ("a", "b"), ("a", "bc")], null));
        Assert.Equal([258], tokenizer.Encode("abc"));
    }

    [Fact]
    public void Merges_the_leftmost_of_equal_pairs_first()
    {
        var tokenizer = files.Load(SyntheticTokenizer.ByteLevelDocument(["aa"], [("a", "a")], null));
        Assert.Equal([256, 'a'], tokenizer.Encode("aaa"));
    }

    [Fact]
    public void Stops_when_no_merge_applies()
    {
        var tokenizer = files.Load(SyntheticTokenizer.ByteLevelDocument(["ab", "abc"], [("a", "b")], null));
        Assert.Equal([256, 'c'], tokenizer.Encode("abc"));
    }

    [Fact]
    public void Ignore_merges_emits_a_whole_word_found_in_the_vocabulary()
    {
        var document = SyntheticTokenizer.ByteLevelDocument(["abc"], [], null);
        Assert.Equal(['a', 'b', 'c'], files.Load(document).Encode("abc"));
        document["model"]!["ignore_merges"] = true;
        Assert.Equal([256], files.Load(document).Encode("abc"));
    }

    [Fact]
    public void Accepts_merges_stored_as_space_separated_strings()
    {
        var document = SyntheticTokenizer.ByteLevelDocument(["ab"], [], null);
        document["model"]!["merges"] = new JsonArray("a b");
        Assert.Equal([256], files.Load(document).Encode("ab"));
    }

    [Fact]
    public void Byte_level_regex_keeps_merges_inside_words()
    {
        // The merge (i, Ġ) can only apply when "hi there" is one pre-token.
        JsonNode ByteLevel(bool useRegex) => new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = useRegex };
        Assert.Equal(['h', 256, 't', 'h', 'e', 'r', 'e'],
            files.Load(SyntheticTokenizer.ByteLevelDocument(["iĠ"], [("i", "Ġ")], ByteLevel(false))).Encode("hi there"));
        Assert.Equal(['h', 'i', ' ', 't', 'h', 'e', 'r', 'e'],
            files.Load(SyntheticTokenizer.ByteLevelDocument(["iĠ"], [("i", "Ġ")], ByteLevel(true))).Encode("hi there"));
    }

    [Fact]
    public void Byte_level_add_prefix_space_prefixes_each_piece_without_one()
    {
        var preTokenizer = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["use_regex"] = true };
        var tokenizer = files.Load(SyntheticTokenizer.ByteLevelDocument([], [], preTokenizer));
        Assert.Equal([' ', 'h', 'i', ' ', 'y', 'o'], tokenizer.Encode("hi yo"));
        Assert.Equal([' ', 'h', 'i'], tokenizer.Encode(" hi"));
    }

    [Fact]
    public void Added_tokens_match_longest_first_and_are_never_split()
    {
        var document = SyntheticTokenizer.ByteLevelDocument([], [], null);
        document["added_tokens"] = new JsonArray(SyntheticTokenizer.AddedToken(300, "<|x|>"), SyntheticTokenizer.AddedToken(301, "<|x|>!"));
        var tokenizer = files.Load(document);
        Assert.Equal(['a', 301, 300, 'b'], tokenizer.Encode("a<|x|>!<|x|>b"));
    }

    [Fact]
    public void Single_word_added_token_is_ignored_inside_a_word()
    {
        var document = SyntheticTokenizer.ByteLevelDocument([], [], null);
        document["added_tokens"] = new JsonArray(SyntheticTokenizer.AddedToken(300, "ab", singleWord: true));
        var tokenizer = files.Load(document);
        Assert.Equal(['x', 'a', 'b'], tokenizer.Encode("xab"));
        Assert.Equal(['x', ' ', 300, ' ', 'y'], tokenizer.Encode("x ab y"));
    }

    [Fact]
    public void Lstrip_and_rstrip_swallow_adjacent_whitespace()
    {
        var document = SyntheticTokenizer.ByteLevelDocument([], [], null);
        document["added_tokens"] = new JsonArray(
            SyntheticTokenizer.AddedToken(300, "<l>", lstrip: true),
            SyntheticTokenizer.AddedToken(301, "<r>", rstrip: true));
        var tokenizer = files.Load(document);
        Assert.Equal(['x', 300, ' ', 'y'], tokenizer.Encode("x  <l> y"));
        Assert.Equal(['x', ' ', 301, 'y'], tokenizer.Encode("x <r> \t y"));
    }

    [Fact]
    public void Normalized_added_token_matches_the_normalized_text()
    {
        var document = SyntheticTokenizer.ByteLevelDocument([], [], null);
        document["added_tokens"] = new JsonArray(SyntheticTokenizer.AddedToken(300, "é", normalized: true));
        var tokenizer = files.Load(document);
        Assert.Equal(['x', 300], tokenizer.Encode("xe\u0301"));
    }

    [Fact]
    public void Byte_fallback_spells_unknown_characters_as_byte_tokens()
    {
        var document = CharacterLevelDocument(["a", "<0xE2>", "<0x98>", "<0x83>"]);
        document["model"]!["byte_fallback"] = true;
        Assert.Equal([0, 1, 2, 3, 0], files.Load(document).Encode("a☃a"));
    }

    [Fact]
    public void Fuse_unk_emits_one_unknown_token_for_a_run_of_unknown_characters()
    {
        var document = CharacterLevelDocument(["a", "<unk>"]);
        document["model"]!["unk_token"] = "<unk>";
        Assert.Equal([0, 1, 1, 0], files.Load(document).Encode("a☃☃a"));
        document["model"]!["fuse_unk"] = true;
        Assert.Equal([0, 1, 0], files.Load(document).Encode("a☃☃a"));
    }

    [Fact]
    public void Reads_special_tokens_given_as_strings_or_objects_from_the_config()
    {
        var document = SyntheticTokenizer.ByteLevelDocument([], [], null);
        document["added_tokens"] = new JsonArray(SyntheticTokenizer.AddedToken(300, "<s>"), SyntheticTokenizer.AddedToken(301, "</s>"));
        files.WriteConfig("""{"bos_token": "<s>", "eos_token": {"__type": "AddedToken", "content": "</s>"}, "pad_token": null, "chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}""");
        var tokenizer = files.Load(document);
        Assert.Equal(new TokenizerSpecialTokens("<s>", 300, "</s>", 301, null, null, null, null), tokenizer.Special);
        Assert.Equal("D", tokenizer.ChatTemplate);
    }

    // No ByteLevel pre-tokenizer: symbols are the text's own characters (ids follow the token order).
    private static JsonObject CharacterLevelDocument(string[] tokens)
    {
        var vocab = new JsonObject();
        for (var i = 0; i < tokens.Length; i++) vocab[tokens[i]] = i;
        return new JsonObject
        {
            ["normalizer"] = null,
            ["pre_tokenizer"] = null,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab, ["merges"] = new JsonArray() },
        };
    }
}
