namespace ContinualTrainer.Dataset.Diversity;

/// <summary>
/// Finds, among the signatures added so far, one whose estimated Jaccard similarity to a query reaches a
/// threshold, without comparing against all of them: locality-sensitive hashing splits the
/// <see cref="MinHash.Permutations"/> values into <see cref="Bands"/> bands of <see cref="Rows"/> rows, and only
/// signatures that agree on a whole band are compared. The band shape is the one with the fewest candidates
/// that still finds a pair at exactly the threshold with probability at least 0.99.
/// </summary>
public sealed class NearDuplicateIndex
{
    private readonly List<(long Id, uint[] Signature)> items = [];
    private readonly Dictionary<ulong, List<int>>[] buckets;

    public NearDuplicateIndex(double threshold)
    {
        if (!(threshold is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "a Jaccard threshold in (0, 1]");
        Threshold = threshold;
        Rows = 1;
        for (var rows = MinHash.Permutations; rows >= 1; rows /= 2)
        {
            if (1 - Math.Pow(1 - Math.Pow(threshold, rows), MinHash.Permutations / rows) >= 0.99)
            {
                Rows = rows;
                break;
            }
        }
        Bands = MinHash.Permutations / Rows;
        buckets = new Dictionary<ulong, List<int>>[Bands];
        for (var b = 0; b < Bands; b++) buckets[b] = [];
    }

    public double Threshold { get; }
    public int Rows { get; }
    public int Bands { get; }

    public void Add(long id, uint[] signature)
    {
        var index = items.Count;
        items.Add((id, signature));
        for (var b = 0; b < Bands; b++)
        {
            var key = BandKey(signature, b);
            if (!buckets[b].TryGetValue(key, out var list)) buckets[b][key] = list = [];
            list.Add(index);
        }
    }

    /// <summary>The first added item (in insertion order) at or above the threshold, or null.</summary>
    public long? FindNearDuplicate(uint[] signature)
    {
        var best = int.MaxValue;
        foreach (var index in Candidates(signature))
        {
            if (index < best && MinHash.Similarity(signature, items[index].Signature) >= Threshold) best = index;
        }
        return best == int.MaxValue ? null : items[best].Id;
    }

    /// <summary>The highest estimated similarity to any added item sharing a band with the query (0 when none does).</summary>
    public double MaxSimilarity(uint[] signature)
    {
        var max = 0.0;
        foreach (var index in Candidates(signature)) max = Math.Max(max, MinHash.Similarity(signature, items[index].Signature));
        return max;
    }

    private HashSet<int> Candidates(uint[] signature)
    {
        var candidates = new HashSet<int>();
        for (var b = 0; b < Bands; b++)
        {
            if (buckets[b].TryGetValue(BandKey(signature, b), out var list)) candidates.UnionWith(list);
        }
        return candidates;
    }

    private ulong BandKey(uint[] signature, int band)
    {
        var key = (ulong)band;
        for (var r = band * Rows; r < (band + 1) * Rows; r++) key = StableHash.Mix(key ^ signature[r]);
        return key;
    }
}
