using ContinualTrainer.Engine.Memory;

namespace ContinualTrainer.Engine.Kernels;

/// <summary>
/// Precomputed rotate-half RoPE tables: for position p and frequency i &lt; head_dim/2,
/// angle = p * inv_freq[i] with inv_freq[i] = theta^(-2i/head_dim), computed in float32 as Hugging Face
/// does, and its cos / sin.
/// </summary>
public sealed unsafe class RopeTable : IDisposable
{
    private readonly NativeBuffer cos; // (P, hd/2)
    private readonly NativeBuffer sin; // (P, hd/2)

    public RopeTable(int headDim, double theta, int maxPositions)
    {
        if (headDim <= 0 || headDim % 2 != 0) throw new ArgumentException($"RoPE head_dim must be positive and even, got {headDim}");
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPositions, 1);
        HeadDim = headDim;
        MaxPositions = maxPositions;
        var half = headDim / 2;
        cos = new NativeBuffer((long)maxPositions * half);
        sin = new NativeBuffer((long)maxPositions * half);
        var invFreq = new float[half];
        for (var i = 0; i < half; i++) invFreq[i] = (float)(1.0 / Math.Pow(theta, (float)(2 * i) / headDim));
        for (var p = 0; p < maxPositions; p++)
        for (var i = 0; i < half; i++)
        {
            var angle = (float)p * invFreq[i];
            cos.Pointer[(long)p * half + i] = (float)Math.Cos(angle);
            sin.Pointer[(long)p * half + i] = (float)Math.Sin(angle);
        }
    }

    public int HeadDim { get; }

    /// <summary>Positions 0..MaxPositions-1 are tabulated.</summary>
    public int MaxPositions { get; }

    /// <summary>cos of position <paramref name="position"/>'s angles: (hd/2) floats.</summary>
    public float* Cos(int position) => cos.Pointer + (long)position * (HeadDim / 2);

    /// <summary>sin of position <paramref name="position"/>'s angles: (hd/2) floats.</summary>
    public float* Sin(int position) => sin.Pointer + (long)position * (HeadDim / 2);

    public void Dispose()
    {
        cos.Dispose();
        sin.Dispose();
    }
}
