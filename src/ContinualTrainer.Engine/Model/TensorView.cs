using ContinualTrainer.Engine.Memory;

namespace ContinualTrainer.Engine.Model;

/// <summary>
/// A named, shaped slice of a <see cref="NativeBuffer"/> (one parameter tensor in Hugging Face naming, or
/// a fused group of adjacent tensors such as q|k|v). Valid while the buffer lives.
/// </summary>
public sealed unsafe class TensorView
{
    private readonly NativeBuffer buffer;

    public TensorView(NativeBuffer buffer, string name, long offset, params long[] shape)
    {
        Length = shape.Aggregate(1L, (a, b) => a * b);
        if (offset < 0 || offset + Length > buffer.Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"tensor '{name}' [{offset}, {offset + Length}) is outside its buffer of {buffer.Length} floats");
        this.buffer = buffer;
        Name = name;
        Offset = offset;
        Shape = shape;
    }

    public string Name { get; }

    /// <summary>Row-major shape, e.g. (out, in) for a projection weight.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Float index of the first element in the buffer.</summary>
    public long Offset { get; }

    /// <summary>Number of floats.</summary>
    public long Length { get; }

    /// <summary>First element.</summary>
    public float* Data => buffer.Pointer + Offset;

    /// <summary>All elements (tensors are below 2^31 floats).</summary>
    public Span<float> Span => buffer.AsSpan(Offset, checked((int)Length));

    public override string ToString() => $"{Name} ({string.Join(", ", Shape)})";
}
