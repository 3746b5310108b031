using ContinualTrainer.Engine.Kernels;
using ContinualTrainer.Engine.Memory;

namespace ContinualTrainer.Engine.Model;

/// <summary>
/// The arena a backward pass works in for batches of up to (B, T) tokens: the gradients of one layer's
/// activations at a time (the backward walks the layers from last to first, reusing them) and the
/// attention backward's per-worker scratch. Allocated once and reused; N = B*T.
/// </summary>
public sealed unsafe class ActivationGradients : IDisposable
{
    private readonly NativeBuffer buffer;

    public ActivationGradients(ModelConfig config, int batchSize, int sequenceLength, int? keyCapacity = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        MaxBatch = batchSize;
        MaxSequence = sequenceLength;
        KeyCapacity = Math.Max(keyCapacity ?? sequenceLength, sequenceLength);
        AttentionWorkers = Environment.ProcessorCount;
        long n = (long)batchSize * sequenceLength, c = config.HiddenSize, inner = config.IntermediateSize;
        long qd = config.QDim, kd = config.KvDim;
        var attentionScratch = AttentionWorkers * Kernels.Attention.BackwardScratchFloatsPerWorker(KeyCapacity, config.NumHeads, config.NumKvHeads, config.HeadDim);
        buffer = new NativeBuffer(Floats(config, batchSize, sequenceLength, KeyCapacity, AttentionWorkers));
        long offset = 0;
        float* Take(long floats)
        {
            var p = buffer.Pointer + offset;
            offset += floats;
            return p;
        }
        Residual = Take(n * c);
        Normed = Take(n * c);
        Qkv = Take(n * (qd + 2 * kd));
        Query = Take(n * qd);
        Attention = Take(n * qd);
        Keys = Take(n * kd);
        Values = Take(n * kd);
        GateUp = Take(n * 2 * inner);
        SwiGlu = Take(n * inner);
        AttentionScratch = Take(attentionScratch);
        if (offset != buffer.Length) throw new InvalidOperationException($"gradient layout takes {offset} floats but {buffer.Length} were sized");
        Config = config;
    }

    /// <summary>Floats of the arena the constructor allocates for these arguments (<paramref name="workers"/> default: the processor count).</summary>
    public static long Floats(ModelConfig config, int batchSize, int sequenceLength, int? keyCapacity = null, int? workers = null)
    {
        long n = (long)batchSize * sequenceLength, c = config.HiddenSize, inner = config.IntermediateSize;
        long qd = config.QDim, kd = config.KvDim;
        var keys = Math.Max(keyCapacity ?? sequenceLength, sequenceLength);
        var attentionScratch = (workers ?? Environment.ProcessorCount) * Kernels.Attention.BackwardScratchFloatsPerWorker(keys, config.NumHeads, config.NumKvHeads, config.HeadDim);
        // In the order the constructor takes them: Residual, Normed, Qkv, Query, Attention, Keys, Values, GateUp, SwiGlu, scratch.
        return n * c + n * c + n * (qd + 2 * kd) + n * qd + n * qd + n * kd + n * kd + n * 2 * inner + n * inner + attentionScratch;
    }

    public ModelConfig Config { get; }

    public int MaxBatch { get; }

    public int MaxSequence { get; }

    /// <summary>Largest key/value store the attention scratch is sized for.</summary>
    public int KeyCapacity { get; }

    /// <summary>Floats of the arena.</summary>
    public long FloatCount => buffer.Length;

    /// <summary>d loss / d residual stream at the current layer boundary: (N, C).</summary>
    public float* Residual { get; }

    /// <summary>Gradient of a norm's output (input_layernorm, post_attention_layernorm or model.norm): (N, C).</summary>
    public float* Normed { get; }

    /// <summary>Gradient of the fused q|k|v projection output: (N, QD + 2 KD).</summary>
    public float* Qkv { get; }

    /// <summary>Gradient of the rotated queries: (N, NH, hd).</summary>
    public float* Query { get; }

    /// <summary>Gradient of the attention output (o_proj's input): (N, NH, hd).</summary>
    public float* Attention { get; }

    /// <summary>Gradient of the rows' own rotated keys: (B, T, KVH, hd).</summary>
    public float* Keys { get; }

    /// <summary>Gradient of the rows' own values: (B, T, KVH, hd).</summary>
    public float* Values { get; }

    /// <summary>Gradient of the fused gate|up projection output: (N, 2 I).</summary>
    public float* GateUp { get; }

    /// <summary>Gradient of the SwiGLU output (down_proj's input): (N, I).</summary>
    public float* SwiGlu { get; }

    /// <summary>Per-worker attention backward scratch: (workers, Attention.BackwardScratchFloatsPerWorker).</summary>
    internal float* AttentionScratch { get; }

    internal int AttentionWorkers { get; }

    public void Dispose() => buffer.Dispose();
}
