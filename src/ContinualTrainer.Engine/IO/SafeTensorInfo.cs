namespace ContinualTrainer.Engine.IO;

/// <summary>
/// One tensor entry of a safetensors header: its element type, shape and byte range
/// [<see cref="Begin"/>, <see cref="End"/>) relative to the start of the data buffer.
/// </summary>
public sealed record SafeTensorInfo(string Name, SafeTensorDType DType, long[] Shape, long Begin, long End)
{
    /// <summary>Product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount { get; } = CountElements(Shape);

    /// <summary>Bytes occupied in the data buffer.</summary>
    public long ByteLength => End - Begin;

    /// <summary>Product of the dimensions; throws <see cref="OverflowException"/> past <see cref="long.MaxValue"/>.</summary>
    public static long CountElements(ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (var dim in shape) count = checked(count * dim);
        return count;
    }

    /// <summary>The shape as a header would print it, e.g. <c>[1024, 64]</c>.</summary>
    public static string FormatShape(ReadOnlySpan<long> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";
}
