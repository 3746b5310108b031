using System.Buffers;
using System.Text;

namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// Canonical Unicode normalization (NFC and NFD) in managed code. The project builds with
/// InvariantGlobalization, under which <see cref="string.Normalize()"/> returns its input unchanged,
/// so the tokenizer's NFC normalizer cannot rely on it. Data: <see cref="UnicodeNormalizationData"/>.
/// </summary>
internal static class UnicodeNormalizer
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;
    private const ushort UnstableFlag = 0x100;

    private static readonly Tables tables = new();

    /// <summary>
    /// True when <paramref name="text"/> holds no code point that NFC (or NFD) could change or reorder,
    /// so normalizing it is the identity (the NFC quick check, answered conservatively).
    /// </summary>
    public static bool IsTriviallyNormalized(ReadOnlySpan<char> text, bool composed)
    {
        // Nothing below U+0300 decomposes, combines or reorders, except precomposed Latin-1 letters for NFD.
        if (text.IndexOfAnyExceptInRange('\0', composed ? '\u02FF' : '\u00BF') < 0) return true;
        for (var i = 0; i < text.Length; i++)
        {
            int cp = text[i];
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                cp = char.ConvertToUtf32(text[i], text[i + 1]);
                i++;
            }
            if ((tables.Properties(cp) & UnstableFlag) != 0) return false;
            if (!composed && (IsHangulSyllable(cp) || tables.Decomposition.ContainsKey(cp))) return false;
        }
        return true;
    }

    /// <summary>Returns the NFC (composed) or NFD (decomposed) form of <paramref name="text"/>.</summary>
    public static string Normalize(ReadOnlySpan<char> text, bool composed)
    {
        if (IsTriviallyNormalized(text, composed)) return text.ToString();
        // A code point decomposes to at most 4 (18 for a few Arabic ligatures, which are compatibility
        // decompositions and not used here); canonical expansions stay within 4x the UTF-16 length.
        var buffer = ArrayPool<int>.Shared.Rent(text.Length * 4 + 4);
        try
        {
            var count = 0;
            foreach (var rune in text.EnumerateRunes()) Decompose(rune.Value, buffer, ref count);
            var codePoints = buffer.AsSpan(0, count);
            SortCanonically(codePoints);
            if (composed) count = Compose(codePoints);
            var builder = new StringBuilder(count + 8);
            foreach (var cp in buffer.AsSpan(0, count)) builder.Append(new Rune(cp).ToString());
            return builder.ToString();
        }
        finally
        {
            ArrayPool<int>.Shared.Return(buffer);
        }
    }

    /// <summary>The canonical combining class of a code point (0 for starters).</summary>
    public static int CombiningClass(int codePoint) => tables.Properties(codePoint) & 0xFF;

    private static bool IsHangulSyllable(int cp) => cp >= SBase && cp < SBase + SCount;

    private static void Decompose(int cp, int[] output, ref int count)
    {
        if (IsHangulSyllable(cp))
        {
            var s = cp - SBase;
            output[count++] = LBase + s / NCount;
            output[count++] = VBase + s % NCount / TCount;
            if (s % TCount != 0) output[count++] = TBase + s % TCount;
            return;
        }
        if (tables.Decomposition.TryGetValue(cp, out var parts))
        {
            Decompose(parts.First, output, ref count);
            if (parts.Second >= 0) Decompose(parts.Second, output, ref count);
            return;
        }
        output[count++] = cp;
    }

    // Stable insertion sort of each run of non-starters by combining class (canonical ordering).
    private static void SortCanonically(Span<int> codePoints)
    {
        for (var i = 1; i < codePoints.Length; i++)
        {
            var cp = codePoints[i];
            var ccc = CombiningClass(cp);
            if (ccc == 0) continue;
            var j = i - 1;
            while (j >= 0 && CombiningClass(codePoints[j]) > ccc)
            {
                codePoints[j + 1] = codePoints[j];
                j--;
            }
            codePoints[j + 1] = cp;
        }
    }

    // Canonical composition over a decomposed, canonically ordered sequence; returns the new length.
    private static int Compose(Span<int> codePoints)
    {
        if (codePoints.Length == 0) return 0;
        var starterPos = 0;
        var starter = codePoints[0];
        var lastClass = CombiningClass(starter) == 0 ? 0 : 256;
        var written = 1;
        for (var i = 1; i < codePoints.Length; i++)
        {
            var cp = codePoints[i];
            var ccc = CombiningClass(cp);
            var composite = ComposePair(starter, cp);
            if (composite >= 0 && (lastClass < ccc || lastClass == 0))
            {
                codePoints[starterPos] = composite;
                starter = composite;
                continue;
            }
            if (ccc == 0)
            {
                starterPos = written;
                starter = cp;
            }
            lastClass = ccc;
            codePoints[written++] = cp;
        }
        return written;
    }

    private static int ComposePair(int first, int second)
    {
        if (first >= LBase && first < LBase + LCount && second >= VBase && second < VBase + VCount)
            return SBase + ((first - LBase) * VCount + (second - VBase)) * TCount;
        if (IsHangulSyllable(first) && (first - SBase) % TCount == 0 && second > TBase && second < TBase + TCount)
            return first + (second - TBase);
        return tables.Composition.TryGetValue(((long)first << 32) | (uint)second, out var composite) ? composite : -1;
    }

    /// <summary>The decoded tables: a two-stage property lookup plus decomposition/composition maps.</summary>
    private sealed class Tables
    {
        private const int BlockShift = 8, BlockSize = 1 << BlockShift;
        private readonly ushort[] blockIndex; // (0x110000 / 256) block number of each 256-code-point block
        private readonly ushort[] blocks;     // (unique blocks * 256) combining class | UnstableFlag

        public readonly Dictionary<int, (int First, int Second)> Decomposition = new();
        public readonly Dictionary<long, int> Composition = new();

        public Tables()
        {
            var flat = new ushort[0x110000];
            var ccc = UnicodeNormalizationData.CombiningClasses;
            for (var i = 0; i < ccc.Length; i += 3)
                for (var cp = ccc[i]; cp <= ccc[i + 1]; cp++) flat[cp] = (ushort)ccc[i + 2];
            var unstable = UnicodeNormalizationData.NfcUnstable;
            for (var i = 0; i < unstable.Length; i += 2)
                for (var cp = unstable[i]; cp <= unstable[i + 1]; cp++) flat[cp] |= UnstableFlag;
            var dec = UnicodeNormalizationData.Decompositions;
            for (var i = 0; i < dec.Length; i += 3) Decomposition[dec[i]] = (dec[i + 1], dec[i + 2]);
            var comp = UnicodeNormalizationData.Compositions;
            for (var i = 0; i < comp.Length; i += 3) Composition[((long)comp[i] << 32) | (uint)comp[i + 1]] = comp[i + 2];

            blockIndex = new ushort[flat.Length >> BlockShift];
            var unique = new List<ushort[]>();
            var byContent = new Dictionary<string, ushort>();
            for (var b = 0; b < blockIndex.Length; b++)
            {
                var block = flat.AsSpan(b << BlockShift, BlockSize);
                var key = Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(block));
                if (!byContent.TryGetValue(key, out var index))
                {
                    index = (ushort)unique.Count;
                    byContent[key] = index;
                    unique.Add(block.ToArray());
                }
                blockIndex[b] = index;
            }
            blocks = new ushort[unique.Count * BlockSize];
            for (var u = 0; u < unique.Count; u++) unique[u].CopyTo(blocks, u * BlockSize);
        }

        public ushort Properties(int cp) =>
            (uint)cp < 0x110000 ? blocks[(blockIndex[cp >> BlockShift] << BlockShift) | (cp & (BlockSize - 1))] : (ushort)0;
    }
}
