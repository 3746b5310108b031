using ContinualTrainer.Engine.Tokenization;

namespace ContinualTrainer.Engine.Tests.Tokenization;

public sealed class ByteLevelAlphabetTests
{
    [Theory]
    [InlineData(0x21, '!')]
    [InlineData(0x7E, '~')]
    [InlineData(0xA1, '¡')]
    [InlineData(0xFF, 'ÿ')]
    [InlineData(0x00, 'Ā')] // GPT-2: the first unprintable byte maps to U+0100
    [InlineData(0x0A, 'Ċ')] // newline
    [InlineData(0x20, 'Ġ')] // space
    [InlineData(0x7F, 'ġ')]
    [InlineData(0xAD, 'Ń')] // soft hyphen, the last of the 68 remapped bytes
    public void Maps_bytes_like_gpt2_bytes_to_unicode(int b, char expected) =>
        Assert.Equal(expected, ByteLevelAlphabet.ByteToChar[b]);

    [Fact]
    public void Maps_every_byte_to_a_distinct_symbol_and_back()
    {
        Assert.Equal(256, ByteLevelAlphabet.ByteToChar.ToArray().Distinct().Count());
        for (var b = 0; b < 256; b++) Assert.Equal(b, ByteLevelAlphabet.CharToByte(ByteLevelAlphabet.ByteToChar[b]));
        Assert.Equal(-1, ByteLevelAlphabet.CharToByte(' '));
        Assert.Equal(-1, ByteLevelAlphabet.CharToByte('\u4E00'));
    }
}
