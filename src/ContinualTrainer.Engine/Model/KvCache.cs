using ContinualTrainer.Engine.Memory;

namespace ContinualTrainer.Engine.Model;

/// <summary>
/// Keys and values (after q/k norm and RoPE) of earlier positions, per layer and row, so a later forward
/// pass can continue after them: a frozen training context, or the prompt and tokens of a generation.
/// A forward pass given a cache starts row b at position <see cref="Lengths"/>[b], appends its own keys
/// and values there and advances the length.
/// </summary>
public sealed unsafe class KvCache : IDisposable
{
    private readonly NativeBuffer keys;    // (L, B, S, KVH, hd)
    private readonly NativeBuffer values;  // (L, B, S, KVH, hd)
    private readonly int[] lengths;        // (B)
    private readonly long layerStride;

    public KvCache(ModelConfig config, int batchSize, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        BatchSize = batchSize;
        Capacity = capacity;
        layerStride = (long)batchSize * capacity * config.KvDim;
        keys = new NativeBuffer(config.NumLayers * layerStride);
        values = new NativeBuffer(config.NumLayers * layerStride);
        lengths = new int[batchSize];
    }

    /// <summary>B: rows.</summary>
    public int BatchSize { get; }

    /// <summary>S: positions each row can hold.</summary>
    public int Capacity { get; }

    /// <summary>Floats of the keys and values together.</summary>
    public long FloatCount => keys.Length + values.Length;

    /// <summary>Floats a cache of <paramref name="batchSize"/> rows of <paramref name="capacity"/> positions holds (keys and values).</summary>
    public static long Floats(ModelConfig config, int batchSize, int capacity) => 2L * config.NumLayers * batchSize * capacity * config.KvDim;

    /// <summary>Positions held by each row (the position the next token of that row gets).</summary>
    public ReadOnlySpan<int> Lengths => lengths;

    /// <summary>Keys of layer <paramref name="layer"/>: (B, S, KVH, hd).</summary>
    public float* Keys(int layer) => keys.Pointer + layer * layerStride;

    /// <summary>Values of layer <paramref name="layer"/>: (B, S, KVH, hd).</summary>
    public float* Values(int layer) => values.Pointer + layer * layerStride;

    /// <summary>Keeps the first <paramref name="length"/> positions of row <paramref name="row"/> (rewinds it).</summary>
    public void Truncate(int row, int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)row, (uint)BatchSize, nameof(row));
        if (length < 0 || length > lengths[row])
            throw new ArgumentOutOfRangeException(nameof(length), $"row {row} holds {lengths[row]} positions; cannot keep {length}");
        lengths[row] = length;
    }

    /// <summary>Empties every row.</summary>
    public void Clear() => Array.Clear(lengths);

    internal void Advance(ReadOnlySpan<int> added)
    {
        for (var b = 0; b < added.Length; b++) lengths[b] += added[b];
    }

    public void Dispose()
    {
        keys.Dispose();
        values.Dispose();
    }
}
