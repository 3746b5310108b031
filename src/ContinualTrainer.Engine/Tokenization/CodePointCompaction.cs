using System.Globalization;
using System.Text;

namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// Lets .NET's UTF-16 regex engine see code points the way Hugging Face's Oniguruma regexes do:
/// .NET matches <c>\p{L}</c>, <c>\p{N}</c> and <c>[^...]</c> against single UTF-16 units, so an
/// astral letter such as U+1D400 would be two "other" surrogate units. Before matching, each astral
/// code point is replaced by one BMP stand-in of the same Unicode general category, and match indices
/// are mapped back through an index table.
/// </summary>
internal static class CodePointCompaction
{
    private static readonly char[] standIns = BuildStandIns();

    /// <summary>True when <paramref name="text"/> holds surrogates and needs compaction before matching.</summary>
    public static bool IsNeeded(ReadOnlySpan<char> text) => text.IndexOfAnyInRange('\uD800', '\uDFFF') >= 0;

    /// <summary>
    /// Writes the compacted text into <paramref name="compact"/> (at least <c>text.Length</c> long) and,
    /// for each compacted index and one past the end, the original index into <paramref name="map"/>
    /// (at least <c>text.Length + 1</c> long). Returns the compacted length. Lone surrogates are kept.
    /// </summary>
    public static int Compact(ReadOnlySpan<char> text, Span<char> compact, Span<int> map)
    {
        var n = 0;
        for (var i = 0; i < text.Length; i++)
        {
            map[n] = i;
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var category = CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, text[i + 1]));
                compact[n++] = standIns[(int)category];
                i++;
            }
            else
            {
                compact[n++] = c;
            }
        }
        map[n] = text.Length;
        return n;
    }

    // For each general category, the first BMP code point at or above U+0100 in it: outside ASCII, so
    // no literal in a pre-tokenizer pattern (such as the contractions 's, 't) can match a stand-in.
    private static char[] BuildStandIns()
    {
        var table = new char[(int)UnicodeCategory.OtherNotAssigned + 1];
        for (var cp = 0xFFFF; cp >= 0x100; cp--)
        {
            if (cp is >= 0xD800 and <= 0xDFFF) continue;
            table[(int)CharUnicodeInfo.GetUnicodeCategory(cp)] = (char)cp;
        }
        return table;
    }
}
