using System.Buffers;

namespace ContinualTrainer.Engine.Optim;

/// <summary>
/// Presents a block of native floats as <see cref="Memory{T}"/> so that state can be handed to
/// <see cref="IO.SafeTensorsWriter"/> without a managed copy. Owns nothing: the block must outlive the memory.
/// </summary>
internal sealed unsafe class NativeFloatMemory(float* pointer, int length) : MemoryManager<float>
{
    public override Span<float> GetSpan() => new(pointer, length);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)elementIndex, (uint)length, nameof(elementIndex));
        return new MemoryHandle(pointer + elementIndex);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
