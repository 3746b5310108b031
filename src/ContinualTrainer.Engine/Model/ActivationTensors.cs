using ContinualTrainer.Engine.Kernels;
using ContinualTrainer.Engine.Memory;

namespace ContinualTrainer.Engine.Model;

/// <summary>
/// The preallocated arena a forward pass works in, sized once for at most (B, T) tokens, up to
/// <see cref="MaxLogitRows"/> logits rows and key/value stores of up to <see cref="KeyCapacity"/>
/// positions, and reused across calls (no allocation per call). With <c>keepEveryLayer</c> each layer
/// has its own <see cref="LayerActivations"/> (what training's backward pass needs); without it all
/// layers share one set (inference). After a forward pass it holds the final hidden states and logits.
/// </summary>
public sealed unsafe class ActivationTensors : IDisposable
{
    private readonly NativeBuffer buffer;
    private readonly LayerActivations[] layers;

    public ActivationTensors(ModelConfig config, int batchSize, int sequenceLength,
        bool keepEveryLayer = false, int? maxLogitRows = null, int? keyCapacity = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        MaxBatch = batchSize;
        MaxSequence = sequenceLength;
        MaxLogitRows = maxLogitRows ?? batchSize * sequenceLength;
        KeyCapacity = Math.Max(keyCapacity ?? sequenceLength, sequenceLength);
        AttentionWorkers = Environment.ProcessorCount;
        KeepsEveryLayer = keepEveryLayer;
        ArgumentOutOfRangeException.ThrowIfNegative(MaxLogitRows, nameof(maxLogitRows));

        long n = (long)batchSize * sequenceLength, c = config.HiddenSize, inner = config.IntermediateSize;
        long qd = config.QDim, kd = config.KvDim, nh = config.NumHeads, kvh = config.NumKvHeads;
        var slots = keepEveryLayer ? config.NumLayers : 1;
        var attentionScratch = AttentionWorkers * Attention.ScratchFloatsPerWorker(KeyCapacity, config.NumHeads, config.NumKvHeads, config.HeadDim);
        buffer = new NativeBuffer(Floats(config, batchSize, sequenceLength, keepEveryLayer, MaxLogitRows, KeyCapacity, AttentionWorkers));

        long offset = 0;
        float* Take(long floats)
        {
            var p = buffer.Pointer + offset;
            offset += floats;
            return p;
        }

        layers = new LayerActivations[slots];
        for (var l = 0; l < slots; l++)
        {
            layers[l] = new LayerActivations
            {
                Ln1 = Take(n * c), Ln1Rstd = Take(n), Qkv = Take(n * (qd + 2 * kd)), Query = Take(n * qd),
                QueryRstd = Take(n * nh), KeyRstd = Take(n * kvh), Keys = Take(n * kd), Values = Take(n * kd),
                Attention = Take(n * qd), AttentionLse = Take(n * nh), Residual2 = Take(n * c), Ln2 = Take(n * c),
                Ln2Rstd = Take(n), GateUp = Take(n * 2 * inner), SwiGlu = Take(n * inner), Residual3 = Take(n * c),
            };
        }
        Encoded = Take(n * c);
        Projection = Take(n * c);
        FinalHidden = Take(n * c);
        FinalRstd = Take(n);
        LogitInput = Take((long)MaxLogitRows * c);
        Logits = Take((long)MaxLogitRows * config.VocabSize);
        AttentionScratch = Take(attentionScratch);
        if (offset != buffer.Length) throw new InvalidOperationException($"activation layout takes {offset} floats but {buffer.Length} were sized");
        Starts = new int[batchSize];
        Config = config;
    }

    /// <summary>
    /// Floats of the arena the constructor allocates for these arguments (<paramref name="workers"/>: attention workers,
    /// default the processor count) — what a caller sizing memory before allocating it needs.
    /// </summary>
    public static long Floats(ModelConfig config, int batchSize, int sequenceLength,
        bool keepEveryLayer = false, int? maxLogitRows = null, int? keyCapacity = null, int? workers = null)
    {
        long n = (long)batchSize * sequenceLength, c = config.HiddenSize, inner = config.IntermediateSize;
        long qd = config.QDim, kd = config.KvDim, nh = config.NumHeads, kvh = config.NumKvHeads;
        long logitRows = maxLogitRows ?? n;
        var keys = Math.Max(keyCapacity ?? sequenceLength, sequenceLength);
        // Per layer, in the order the constructor takes them: Ln1, Ln1Rstd, Qkv, Query, QueryRstd, KeyRstd, Keys, Values,
        // Attention, AttentionLse, Residual2, Ln2, Ln2Rstd, GateUp, SwiGlu, Residual3.
        var perLayer = n * c + n + n * (qd + 2 * kd) + n * qd + n * nh + n * kvh + n * kd + n * kd + n * qd + n * nh + n * c + n * c + n
            + n * 2 * inner + n * inner + n * c;
        var slots = keepEveryLayer ? config.NumLayers : 1;
        // Shared: Encoded, Projection, FinalHidden, FinalRstd, LogitInput, Logits, AttentionScratch.
        var attentionScratch = (workers ?? Environment.ProcessorCount) * Attention.ScratchFloatsPerWorker(keys, config.NumHeads, config.NumKvHeads, config.HeadDim);
        return slots * perLayer + 3 * n * c + n + logitRows * c + logitRows * config.VocabSize + attentionScratch;
    }

    public ModelConfig Config { get; }

    public int MaxBatch { get; }

    public int MaxSequence { get; }

    public int MaxLogitRows { get; }

    /// <summary>Largest key/value store (cache capacity) the attention scratch is sized for.</summary>
    public int KeyCapacity { get; }

    /// <summary>True when every layer keeps its own activations (for a backward pass).</summary>
    public bool KeepsEveryLayer { get; }

    /// <summary>Floats of the arena.</summary>
    public long FloatCount => buffer.Length;

    /// <summary>Token embeddings, the first layer's input: (N, C).</summary>
    public float* Encoded { get; }

    /// <summary>Scratch for the attention and MLP output projections before the residual add: (N, C).</summary>
    public float* Projection { get; }

    /// <summary>The final hidden states, after model.norm: (N, C), row b*T + t.</summary>
    public float* FinalHidden { get; }

    /// <summary>model.norm reciprocal RMS: (N).</summary>
    public float* FinalRstd { get; }

    /// <summary>The final hidden rows logits were asked for, gathered: (P, C).</summary>
    public float* LogitInput { get; }

    /// <summary>Logits of the requested rows, in request order: (P, V).</summary>
    public float* Logits { get; }

    /// <summary>Rows in <see cref="Logits"/> after the last forward pass (P).</summary>
    public int LogitRowCount { get; internal set; }

    /// <summary>Per-worker attention scratch: (workers, Attention.ScratchFloatsPerWorker).</summary>
    internal float* AttentionScratch { get; }

    internal int AttentionWorkers { get; }

    /// <summary>Start position of each row in the last forward pass.</summary>
    internal int[] Starts { get; }

    /// <summary>The activations of layer <paramref name="layer"/> (shared by all layers when not kept per layer).</summary>
    public LayerActivations Layer(int layer) => layers[KeepsEveryLayer ? layer : 0];

    /// <summary>Logits row <paramref name="row"/> of the last forward pass: V floats.</summary>
    public ReadOnlySpan<float> LogitsRow(int row)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)row, (uint)LogitRowCount, nameof(row));
        return new ReadOnlySpan<float>(Logits + (long)row * Config.VocabSize, Config.VocabSize);
    }

    public void Dispose() => buffer.Dispose();
}
