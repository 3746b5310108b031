namespace ContinualTrainer.Engine.IO;

/// <summary>
/// One tensor for <see cref="SafeTensorsWriter"/>: float32 data stored as F32 or BF16 (rounded to nearest
/// even), or int64 data stored as I64. Data is row-major with <see cref="Shape"/>.
/// </summary>
public sealed record SafeTensorToWrite
{
    /// <summary>Float data to be stored as <paramref name="dtype"/> (F32 or BF16).</summary>
    public SafeTensorToWrite(string name, SafeTensorDType dtype, long[] shape, ReadOnlyMemory<float> data)
    {
        if (dtype is not (SafeTensorDType.F32 or SafeTensorDType.BF16))
            throw new ArgumentException($"tensor '{name}': float data can be stored as F32 or BF16, not {dtype.HeaderName()}", nameof(dtype));
        Name = name;
        DType = dtype;
        Shape = shape;
        FloatData = data;
    }

    /// <summary>Int64 data, stored as I64.</summary>
    public SafeTensorToWrite(string name, long[] shape, ReadOnlyMemory<long> data)
    {
        Name = name;
        DType = SafeTensorDType.I64;
        Shape = shape;
        Int64Data = data;
    }

    public string Name { get; }

    public SafeTensorDType DType { get; }

    public long[] Shape { get; }

    /// <summary>The values when <see cref="DType"/> is F32 or BF16.</summary>
    public ReadOnlyMemory<float> FloatData { get; }

    /// <summary>The values when <see cref="DType"/> is I64.</summary>
    public ReadOnlyMemory<long> Int64Data { get; }

    /// <summary>Elements supplied (float or int64, whichever the dtype uses).</summary>
    public int DataLength => DType == SafeTensorDType.I64 ? Int64Data.Length : FloatData.Length;
}
