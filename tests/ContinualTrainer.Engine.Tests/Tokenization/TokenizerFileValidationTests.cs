using System.Text.Json.Nodes;
using ContinualTrainer.Engine.Tokenization;

namespace ContinualTrainer.Engine.Tests.Tokenization;

/// <summary>Malformed or unsupported tokenizer files fail at load with a message naming the file and key.</summary>
public sealed class TokenizerFileValidationTests : IDisposable
{
    private readonly SyntheticTokenizer files = new();

    public void Dispose() => files.Dispose();

    [Fact]
    public void Rejects_a_file_without_a_model() =>
        AssertRejected("""{"version": "1.0", "decoder": {"type": "ByteLevel"}}""", "has no \"model\" object");

    [Fact]
    public void Rejects_an_unknown_model_type() =>
        AssertRejected("""{"model": {"type": "WordPiece", "vocab": {}}, "decoder": {"type": "ByteLevel"}}""", "model type \"WordPiece\" is not supported");

    [Fact]
    public void Rejects_a_merge_that_references_an_unknown_token()
    {
        var document = SyntheticTokenizer.ByteLevelDocument([], [("a", "zz")], null);
        AssertRejected(document.ToJsonString(), "model.merges[0] (\"a\", \"zz\") needs \"zz\", which is not in model.vocab");
    }

    [Fact]
    public void Rejects_a_merge_whose_result_is_not_in_the_vocabulary()
    {
        var document = SyntheticTokenizer.ByteLevelDocument([], [("a", "b")], null);
        AssertRejected(document.ToJsonString(), "needs \"ab\", which is not in model.vocab");
    }

    [Fact]
    public void Rejects_a_malformed_merge_entry()
    {
        var document = SyntheticTokenizer.ByteLevelDocument(["ab"], [], null);
        document["model"]!["merges"] = new JsonArray("a b c");
        AssertRejected(document.ToJsonString(), "model.merges[0] is neither");
    }

    [Fact]
    public void Rejects_invalid_json() => AssertRejected("""{"model": {""", "is not valid JSON");

    [Fact]
    public void Rejects_an_unsupported_pre_tokenizer()
    {
        var document = SyntheticTokenizer.ByteLevelDocument([], [], new JsonObject { ["type"] = "Metaspace" });
        AssertRejected(document.ToJsonString(), "pre_tokenizer type \"Metaspace\" is not supported");
    }

    [Fact]
    public void Rejects_a_split_regex_that_does_not_compile()
    {
        var split = new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = "(unclosed" }, ["behavior"] = "Isolated", ["invert"] = false };
        var document = SyntheticTokenizer.ByteLevelDocument([], [], new JsonObject { ["type"] = "Sequence", ["pretokenizers"] = new JsonArray(split) });
        AssertRejected(document.ToJsonString(), "pre_tokenizer.pretokenizers[0].pattern does not compile");
    }

    [Fact]
    public void Rejects_an_unsupported_decoder()
    {
        var document = SyntheticTokenizer.ByteLevelDocument([], [], null);
        document["decoder"] = new JsonObject { ["type"] = "WordPiece" };
        AssertRejected(document.ToJsonString(), "decoder type \"WordPiece\" is not supported");
    }

    [Fact]
    public void Rejects_a_directory_without_tokenizer_json()
    {
        var directory = Directory.CreateTempSubdirectory("h2-empty-").FullName;
        try
        {
            var e = Assert.Throws<FileNotFoundException>(() => BpeTokenizer.FromDirectory(directory));
            Assert.Contains(directory, e.Message);
        }
        finally
        {
            Directory.Delete(directory);
        }
    }

    private void AssertRejected(string json, string expectedMessagePart)
    {
        var path = files.Write(json);
        var e = Assert.Throws<InvalidDataException>(() => BpeTokenizer.FromFile(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expectedMessagePart, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
