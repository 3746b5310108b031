using ContinualTrainer.Engine.Tokenization;

namespace ContinualTrainer.Engine.Tests.Tokenization;

/// <summary>NFC/NFD against expectations taken from Python's unicodedata (an independent implementation).</summary>
public sealed class UnicodeNormalizerTests
{
    [Theory]
    [InlineData("0065 0301", "00E9")]                 // e + acute composes
    [InlineData("212B", "00C5")]                      // Angstrom sign is a singleton decomposition
    [InlineData("1100 1161 11A8", "AC01")]            // Hangul L V T composes algorithmically
    [InlineData("AC00 11A8", "AC01")]                 // Hangul LV + T
    [InlineData("0061 0302 0323", "1EAD")]            // marks reordered by combining class, then composed
    [InlineData("1E0B 0323", "1E0D 0307")]            // recomposes around the lower-class mark
    [InlineData("0071 0307 0323", "0071 0323 0307")]  // no composite: only reordered
    [InlineData("0344", "0308 0301")]                 // non-starter decomposition
    [InlineData("0958", "0915 093C")]                 // composition exclusion
    [InlineData("1D15E", "1D157 1D165")]              // astral composition exclusion
    [InlineData("00C5 0301 0327", "01FA 0327")]       // decompose, reorder, compose twice
    [InlineData("0041 0300 0316", "00C0 0316")]
    [InlineData("FB01", "FB01")]                      // compatibility ligature untouched by NFC
    [InlineData("0B47 0B3E", "0B4B")]                 // two-starter composition
    [InlineData("110A5 110BA", "110AB")]              // astral composition
    [InlineData("004B 0061 0301 0301", "004B 00E1 0301")]
    public void Composes_like_python_unicodedata(string input, string expected) =>
        Assert.Equal(Hex(expected), UnicodeNormalizer.Normalize(Hex(input), composed: true));

    [Theory]
    [InlineData("00E9", "0065 0301")]
    [InlineData("AC01", "1100 1161 11A8")]
    [InlineData("00C5 0301 0327", "0041 0327 030A 0301")]
    [InlineData("0041 0300 0316", "0041 0316 0300")]
    [InlineData("0CCA", "0CC6 0CC2")]
    public void Decomposes_like_python_unicodedata(string input, string expected) =>
        Assert.Equal(Hex(expected), UnicodeNormalizer.Normalize(Hex(input), composed: false));

    [Theory]
    [InlineData("plain ASCII text")]
    [InlineData("日本語のテキスト")]
    [InlineData("café déjà")]
    public void Reports_already_composed_text_as_normalized(string text) =>
        Assert.True(UnicodeNormalizer.IsTriviallyNormalized(text, composed: true));

    [Fact]
    public void Reports_a_combining_mark_as_possibly_unnormalized() =>
        Assert.False(UnicodeNormalizer.IsTriviallyNormalized("cafe\u0301", composed: true));

    private static string Hex(string codePoints) =>
        string.Concat(codePoints.Split(' ').Select(h => char.ConvertFromUtf32(Convert.ToInt32(h, 16))));
}
