using ContinualTrainer.Engine.Tokenization;

namespace ContinualTrainer.Engine.Tests.Tokenization;

/// <summary>Split behaviours, with the examples of Hugging Face's SplitDelimiterBehavior documentation.</summary>
public sealed class SplitRuleTests
{
    private const string Qwen2Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    [Theory]
    [InlineData("Removed", "the|final|countdown")]
    [InlineData("Isolated", "the|-|final|-|-|countdown")]
    [InlineData("MergedWithPrevious", "the-|final-|-|countdown")]
    [InlineData("MergedWithNext", "the|-final|-|-countdown")]
    [InlineData("Contiguous", "the|-|final|--|countdown")]
    public void Splits_on_a_delimiter_as_hugging_face_documents(string behavior, string expected) =>
        Assert.Equal(expected, Pieces(new SplitRule(SplitRule.Compile("-"), Enum.Parse<SplitBehavior>(behavior), invert: false), "the-final--countdown"));

    [Fact]
    public void Inverted_pattern_treats_the_gaps_as_matches() =>
        Assert.Equal("the|final|countdown", Pieces(new SplitRule(SplitRule.Compile("[a-z]+"), SplitBehavior.Removed, invert: true), "the-final--countdown"));

    [Fact]
    public void Drops_empty_pieces_of_an_empty_text() =>
        Assert.Equal("", Pieces(new SplitRule(SplitRule.Compile("-"), SplitBehavior.Isolated, invert: false), ""));

    [Theory]
    [InlineData("😀abc", "😀abc")]             // an emoji is one code point of [^\r\n\p{L}\p{N}], as in Oniguruma
    [InlineData("x 𝐀bc", "x| 𝐀bc")]           // U+1D400 is a letter (\p{L}) although it is two UTF-16 units
    [InlineData("𝟏𝟐", "𝟏|𝟐")]                // U+1D7CF/D0 are digits: one piece each under \p{N}
    [InlineData("a😀😀 b", "a|😀😀| b")]
    public void Matches_astral_code_points_as_single_characters(string text, string expected) =>
        Assert.Equal(expected, Pieces(new SplitRule(SplitRule.Compile(Qwen2Pattern), SplitBehavior.Isolated, invert: false), text));

    private static string Pieces(SplitRule rule, string text)
    {
        var pieces = new List<string>();
        foreach (var range in rule.EnumeratePieces(text)) pieces.Add(text[range]);
        return string.Join("|", pieces);
    }
}
