using ContinualTrainer.Engine.Memory;

namespace ContinualTrainer.Engine.Lora;

/// <summary>
/// The arena the adapters work in during a forward (and backward) pass over up to (B, T) tokens: u = x A^T of
/// every group, (N, G * rank), kept per layer when <see cref="Training"/> (the backward reads them) and shared
/// by all layers otherwise, plus the backward's scratch. A training arena also applies the adapters' dropout,
/// with masks keyed by <see cref="DropoutStep"/>; an inference arena never drops anything.
/// </summary>
public sealed unsafe class LoraActivations : IDisposable
{
    private readonly NativeBuffer buffer;
    private readonly nint[,] u;   // (slot, LoraGroupKind) -> float*

    internal LoraActivations(LoraAdapters adapters, int batchSize, int sequenceLength, bool training)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        Adapters = adapters;
        Training = training;
        MaxBatch = batchSize;
        MaxSequence = sequenceLength;
        long n = (long)batchSize * sequenceLength;
        var layers = adapters.Model.NumLayers;
        var slots = training ? layers : 1;
        var kinds = Enum.GetValues<LoraGroupKind>();
        // Every layer has the same targets, so layer 0's groups give the widths.
        var widths = kinds.Select(k => adapters.Group(0, k)?.Width ?? 0).ToArray();
        var maxWidth = widths.Max();
        var maxIn = adapters.Modules.Max(m => m.InChannels);
        AppliesDropout = training && adapters.Config.Dropout > 0;
        var floats = slots * n * widths.Sum() + (training ? n * maxWidth : 0) + (AppliesDropout ? n * maxIn : 0);
        buffer = new NativeBuffer(floats);

        var offset = 0L;
        u = new nint[slots, kinds.Length];
        for (var slot = 0; slot < slots; slot++)
        for (var k = 0; k < kinds.Length; k++)
        {
            u[slot, k] = (nint)(buffer.Pointer + offset);
            offset += n * widths[k];
        }
        GradU = training ? buffer.Pointer + offset : null;
        offset += training ? n * maxWidth : 0;
        DropoutInput = AppliesDropout ? buffer.Pointer + offset : null;
    }

    public LoraAdapters Adapters { get; }

    /// <summary>Floats of the arena.</summary>
    public long FloatCount => buffer.Length;

    /// <summary>True for a training arena: u kept per layer, dropout applied.</summary>
    public bool Training { get; }

    public int MaxBatch { get; }

    public int MaxSequence { get; }

    /// <summary>True when passes in this arena drop adapter inputs (training with dropout &gt; 0).</summary>
    public bool AppliesDropout { get; }

    /// <summary>Keys the dropout masks: a training loop advances it once per micro-batch, before the forward pass.</summary>
    public long DropoutStep { get; set; }

    /// <summary>u = x A^T of the group <paramref name="kind"/> of layer <paramref name="layer"/>: (N, G * rank).</summary>
    public float* U(int layer, LoraGroupKind kind) => (float*)u[Training ? layer : 0, (int)kind];

    /// <summary>Backward scratch for du: (N, max group width); null in an inference arena.</summary>
    internal float* GradU { get; }

    /// <summary>Scratch for a dropped-out input: (N, max in); null without dropout.</summary>
    internal float* DropoutInput { get; }

    public void Dispose() => buffer.Dispose();
}
