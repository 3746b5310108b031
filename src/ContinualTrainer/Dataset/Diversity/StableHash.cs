namespace ContinualTrainer.Dataset.Diversity;

/// <summary>
/// Fixed 64-bit hashing for MinHash and for seeded, order-independent sampling: the same inputs give the
/// same values in every process and version (unlike <see cref="string.GetHashCode()"/> or <see cref="Random"/>).
/// </summary>
public static class StableHash
{
    /// <summary>The SplitMix64 finalizer: a bijective mix of all 64 bits.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>FNV-1a over the UTF-16 code units of <paramref name="text"/>, then <see cref="Mix"/>.</summary>
    public static ulong Of(ReadOnlySpan<char> text)
    {
        var hash = 0xCBF29CE484222325UL;
        foreach (var c in text)
        {
            hash ^= c;
            hash *= 0x100000001B3UL;
        }
        return Mix(hash);
    }

    /// <summary>
    /// A sort key for item <paramref name="id"/> under <paramref name="seed"/> and a purpose: sorting by it is a
    /// seeded shuffle in which each item's place does not depend on the other items.
    /// </summary>
    public static ulong Key(long seed, string purpose, long id) => Mix(Mix((ulong)seed ^ Of(purpose)) ^ (ulong)id);
}
