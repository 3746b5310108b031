using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace ContinualTrainer.Dataset.Diversity;

/// <summary>
/// MinHash signatures of texts over their word 3-shingles, for estimating Jaccard similarity of decision
/// texts. Words are maximal runs of letters and digits, lower-cased (punctuation and JSON syntax do not
/// count); a text of one or two words has the one shingle of all its words. Permutation k hashes a
/// shingle as <c>Mix(shingle ^ seed_k)</c> and keeps the upper 32 bits of the minimum.
/// </summary>
public static class MinHash
{
    public const int Permutations = 128;
    public const int ShingleWords = 3;

    /// <summary>Bytes of a stored signature (uint32 little-endian per permutation).</summary>
    public const int SignatureBytes = Permutations * sizeof(uint);

    private static readonly ulong[] Seeds = CreateSeeds();

    /// <summary>The signature (<see cref="Permutations"/> values); all <see cref="uint.MaxValue"/> for a text without words.</summary>
    public static uint[] Signature(string text)
    {
        var signature = new uint[Permutations];
        Array.Fill(signature, uint.MaxValue);
        foreach (var shingle in Shingles(text))
        {
            for (var k = 0; k < Permutations; k++)
            {
                var value = (uint)(StableHash.Mix(shingle ^ Seeds[k]) >> 32);
                if (value < signature[k]) signature[k] = value;
            }
        }
        return signature;
    }

    /// <summary>The estimated Jaccard similarity: the share of permutations whose minima agree.</summary>
    public static double Similarity(ReadOnlySpan<uint> a, ReadOnlySpan<uint> b)
    {
        if (a.Length != Permutations || b.Length != Permutations)
            throw new ArgumentException($"MinHash signatures have {Permutations} values (got {a.Length} and {b.Length})");
        var equal = 0;
        for (var k = 0; k < Permutations; k++)
        {
            if (a[k] == b[k]) equal++;
        }
        return (double)equal / Permutations;
    }

    /// <summary>The hashed word 3-shingles of a text (distinct).</summary>
    public static HashSet<ulong> Shingles(string text)
    {
        var words = Words(text);
        var shingles = new HashSet<ulong>();
        if (words.Count == 0) return shingles;
        var span = Math.Min(ShingleWords, words.Count);
        var builder = new StringBuilder();
        for (var i = 0; i + span <= words.Count; i++)
        {
            builder.Clear();
            for (var w = i; w < i + span; w++) builder.Append(words[w]).Append('\u001F');
            shingles.Add(StableHash.Of(builder.ToString()));
        }
        return shingles;
    }

    /// <summary>The words of a text as MinHash sees them (also what <c>distinct_2</c> counts bigrams of).</summary>
    public static List<string> Words(string text)
    {
        var words = new List<string>();
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && IsWordChar(text, i);
            if (inWord && start < 0) start = i;
            else if (!inWord && start >= 0)
            {
                words.Add(text[start..i].ToLowerInvariant());
                start = -1;
            }
        }
        return words;
    }

    public static byte[] ToBytes(ReadOnlySpan<uint> signature)
    {
        var bytes = new byte[signature.Length * sizeof(uint)];
        for (var k = 0; k < signature.Length; k++) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(k * sizeof(uint)), signature[k]);
        return bytes;
    }

    public static uint[] FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != SignatureBytes) throw new FormatException($"a MinHash signature has {SignatureBytes} bytes, not {bytes.Length}");
        var signature = new uint[Permutations];
        for (var k = 0; k < Permutations; k++) signature[k] = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(k * sizeof(uint))..]);
        return signature;
    }

    private static bool IsWordChar(string text, int i) =>
        char.IsLetterOrDigit(text[i]) || char.GetUnicodeCategory(text[i]) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;

    private static ulong[] CreateSeeds()
    {
        var seeds = new ulong[Permutations];
        for (var k = 0; k < Permutations; k++) seeds[k] = StableHash.Mix(0x9E3779B97F4A7C15UL * (ulong)(k + 1));
        return seeds;
    }
}
