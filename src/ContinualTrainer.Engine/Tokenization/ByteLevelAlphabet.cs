namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// GPT-2's <c>bytes_to_unicode</c> table used by byte-level BPE: every byte maps to one printable
/// character (printable Latin-1 bytes to themselves, the other 68 to U+0100..U+0143), so any UTF-8
/// byte string becomes a string of vocabulary symbols and back.
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] byteToChar = BuildByteToChar();
    private static readonly short[] charToByte = BuildCharToByte();

    /// <summary>The symbol for each byte value, indexed by byte.</summary>
    public static ReadOnlySpan<char> ByteToChar => byteToChar;

    /// <summary>The byte a symbol stands for, or -1 when <paramref name="c"/> is not a byte-level symbol.</summary>
    public static int CharToByte(char c) => c < charToByte.Length ? charToByte[c] : -1;

    private static char[] BuildByteToChar()
    {
        var table = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }

    private static short[] BuildCharToByte()
    {
        var table = new short[256 + 68];
        Array.Fill(table, (short)-1);
        for (var b = 0; b < 256; b++) table[byteToChar[b]] = (short)b;
        return table;
    }
}
