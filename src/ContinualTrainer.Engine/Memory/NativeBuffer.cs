using System.Runtime.InteropServices;

namespace ContinualTrainer.Engine.Memory;

/// <summary>
/// One zero-initialised, 64-byte-aligned block of native float32 memory (parameters, gradients,
/// activation arenas, KV caches). Native so that buffers above 2 GB work and the GC never moves or
/// scans them; views into it are raw <c>float*</c> / <see cref="Span{T}"/> slices. Disposing frees it.
/// </summary>
public sealed unsafe class NativeBuffer : IDisposable
{
    private const nuint Alignment = 64;
    private float* data;

    /// <summary>Allocates <paramref name="length"/> floats, all zero.</summary>
    public NativeBuffer(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        var bytes = (nuint)Math.Max(1, length) * sizeof(float);
        data = (float*)NativeMemory.AlignedAlloc(bytes, Alignment);
        NativeMemory.Clear(data, bytes);
    }

    /// <summary>Number of floats.</summary>
    public long Length { get; }

    /// <summary>Start of the block; valid until <see cref="Dispose"/>.</summary>
    public float* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(data == null, this);
            return data;
        }
    }

    /// <summary>A span over <paramref name="length"/> floats starting at float index <paramref name="start"/>.</summary>
    public Span<float> AsSpan(long start, int length)
    {
        if (start < 0 || length < 0 || start + length > Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"slice [{start}, {start + length}) is outside a buffer of {Length} floats");
        return new Span<float>(Pointer + start, length);
    }

    public void Dispose()
    {
        if (data == null) return;
        NativeMemory.AlignedFree(data);
        data = null;
        GC.SuppressFinalize(this);
    }

    ~NativeBuffer()
    {
        if (data != null) NativeMemory.AlignedFree(data);
    }
}
