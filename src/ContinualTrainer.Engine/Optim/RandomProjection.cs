using System.Text;
using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Optim;

/// <summary>
/// APOLLO's random projection matrices, regenerated from a key instead of stored: entries are N(0, 1/r),
/// drawn by a counter-based generator (SplitMix64 applied to key + counter, then Box-Muller), so any entry
/// is a pure function of (key, index) and the output is the same for any thread count. No <see cref="Random"/>,
/// whose algorithm may change between runtimes; the only platform dependence left is the last bit of the
/// libm functions behind <see cref="Math.Log(double)"/> and <see cref="Math.SinCos"/>.
/// </summary>
public static unsafe class RandomProjection
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>Entries generated per unit of parallel work.</summary>
    private const int BlockSize = 1 << 12;

    /// <summary>
    /// The key of the <paramref name="refresh"/>-th projection (0 for the first) of the parameter named
    /// <paramref name="parameterName"/> under <paramref name="seed"/>. Keyed by name rather than list position
    /// so that reordering the parameter list does not change any projection.
    /// </summary>
    public static ulong Key(long seed, string parameterName, long refresh)
    {
        var nameHash = 14695981039346656037UL; // FNV-1a 64
        foreach (var b in Encoding.UTF8.GetBytes(parameterName)) nameHash = (nameHash ^ b) * 1099511628211UL;
        var key = Mix((ulong)seed + Golden);
        key = Mix(key ^ nameHash);
        return Mix(key ^ ((ulong)refresh * Golden));
    }

    /// <summary>Fills the (rank, side) matrix <paramref name="q"/> with N(0, 1/rank) entries of <paramref name="key"/>.</summary>
    public static void Fill(
        float* q,   // (rank, side)
        int rank, int side, ulong key)
    {
        var count = (long)rank * side;
        var pairs = (count + 1) / 2;
        var blocks = (int)((pairs + BlockSize - 1) / BlockSize);
        var scale = 1.0 / Math.Sqrt(rank);
        Parallelism.ForRanges(blocks, 2 * BlockSize, (first, last) =>
        {
            var end = Math.Min(pairs, (long)last * BlockSize);
            for (var pair = (long)first * BlockSize; pair < end; pair++)
            {
                var (z0, z1) = StandardNormalPair(key, pair);
                q[2 * pair] = (float)(z0 * scale);
                if (2 * pair + 1 < count) q[2 * pair + 1] = (float)(z1 * scale);
            }
        });
    }

    /// <summary>Two independent N(0, 1) draws, number <paramref name="pair"/> of the stream <paramref name="key"/>.</summary>
    internal static (double, double) StandardNormalPair(ulong key, long pair)
    {
        var h1 = Mix(key + (2 * (ulong)pair + 1) * Golden);
        var h2 = Mix(key + (2 * (ulong)pair + 2) * Golden);
        var u1 = ((h1 >> 11) + 1) * (1.0 / (1UL << 53)); // (0, 1]
        var u2 = (h2 >> 11) * (1.0 / (1UL << 53));       // [0, 1)
        var radius = Math.Sqrt(-2.0 * Math.Log(u1));
        var (sin, cos) = Math.SinCos(2.0 * Math.PI * u2);
        return (radius * cos, radius * sin);
    }

    /// <summary>SplitMix64's finaliser: a bijective 64-bit mix.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
