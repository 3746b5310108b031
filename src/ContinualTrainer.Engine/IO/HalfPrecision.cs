using System.Buffers.Binary;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace ContinualTrainer.Engine.IO;

/// <summary>
/// Conversions between float32 and the 16-bit float formats stored in checkpoints (BF16, F16), on raw
/// little-endian bytes as they sit in a safetensors data buffer (no alignment assumed). Each fast,
/// vectorised conversion has a naive scalar reference next to it; tests compare the two on every bit pattern.
/// </summary>
public static class HalfPrecision
{
    /// <summary>BF16 → float32: the 16 bits become the high half of the float32 (exact).</summary>
    /// <param name="destination">(N) float32 out.</param>
    /// <param name="source">(2N) bytes, little-endian BF16.</param>
    public static void BFloat16ToSingle(Span<float> destination, ReadOnlySpan<byte> source)
    {
        var n = CheckLengths(destination.Length, source.Length);
        var bits = MemoryMarshal.Cast<byte, ushort>(source[..(2 * n)]); // (N) unaligned view
        ref var src = ref MemoryMarshal.GetReference(bits);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var i = 0;
        if (Vector.IsHardwareAccelerated && BitConverter.IsLittleEndian)
        {
            for (; i <= n - Vector<ushort>.Count; i += Vector<ushort>.Count)
            {
                var v = Vector.LoadUnsafe(ref src, (nuint)i);
                Vector.Widen(v, out Vector<uint> lo, out Vector<uint> hi);
                Vector.StoreUnsafe(Vector.AsVectorSingle(lo << 16), ref dst, (nuint)i);
                Vector.StoreUnsafe(Vector.AsVectorSingle(hi << 16), ref dst, (nuint)(i + Vector<uint>.Count));
            }
        }
        BFloat16ToSingleReference(destination[i..n], source[(2 * i)..(2 * n)]);
    }

    /// <summary>Naive reference of <see cref="BFloat16ToSingle"/>.</summary>
    public static void BFloat16ToSingleReference(Span<float> destination, ReadOnlySpan<byte> source)
    {
        var n = CheckLengths(destination.Length, source.Length);
        for (var i = 0; i < n; i++)
        {
            uint b = BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]);
            destination[i] = BitConverter.UInt32BitsToSingle(b << 16);
        }
    }

    /// <summary>IEEE half → float32 (exact), vectorised by <see cref="TensorPrimitives"/>.</summary>
    /// <param name="destination">(N) float32 out.</param>
    /// <param name="source">(2N) bytes, little-endian F16.</param>
    public static void HalfToSingle(Span<float> destination, ReadOnlySpan<byte> source)
    {
        var n = CheckLengths(destination.Length, source.Length);
        if (!BitConverter.IsLittleEndian)
        {
            HalfToSingleReference(destination, source);
            return;
        }
        TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(source[..(2 * n)]), destination[..n]);
    }

    /// <summary>Naive reference of <see cref="HalfToSingle"/>.</summary>
    public static void HalfToSingleReference(Span<float> destination, ReadOnlySpan<byte> source)
    {
        var n = CheckLengths(destination.Length, source.Length);
        for (var i = 0; i < n; i++)
        {
            var b = BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]);
            destination[i] = (float)BitConverter.UInt16BitsToHalf(b);
        }
    }

    /// <summary>
    /// float32 → BF16 with round-to-nearest-even (as <c>torch.Tensor.to(torch.bfloat16)</c>): finite values
    /// beyond the BF16 range become ±infinity, NaN stays a (quiet) NaN of the same sign.
    /// </summary>
    /// <param name="destination">(2N) bytes out, little-endian BF16.</param>
    /// <param name="source">(N) float32.</param>
    public static void SingleToBFloat16(Span<byte> destination, ReadOnlySpan<float> source)
    {
        var n = CheckLengths(source.Length, destination.Length);
        var outBits = MemoryMarshal.Cast<byte, ushort>(destination[..(2 * n)]); // (N) unaligned view
        var inBits = MemoryMarshal.Cast<float, uint>(source);                   // (N)
        ref var src = ref MemoryMarshal.GetReference(inBits);
        ref var dst = ref MemoryMarshal.GetReference(outBits);
        var i = 0;
        if (Vector.IsHardwareAccelerated && BitConverter.IsLittleEndian)
        {
            var w = Vector<uint>.Count;
            for (; i <= n - 2 * w; i += 2 * w)
            {
                var lo = RoundToBFloat16(Vector.LoadUnsafe(ref src, (nuint)i));
                var hi = RoundToBFloat16(Vector.LoadUnsafe(ref src, (nuint)(i + w)));
                Vector.StoreUnsafe(Vector.Narrow(lo, hi), ref dst, (nuint)i);
            }
        }
        SingleToBFloat16Reference(destination[(2 * i)..(2 * n)], source[i..n]);
    }

    /// <summary>Naive reference of <see cref="SingleToBFloat16"/>.</summary>
    public static void SingleToBFloat16Reference(Span<byte> destination, ReadOnlySpan<float> source)
    {
        var n = CheckLengths(source.Length, destination.Length);
        for (var i = 0; i < n; i++)
        {
            var bits = BitConverter.SingleToUInt32Bits(source[i]);
            uint rounded = (bits & 0x7FFF_FFFFu) > 0x7F80_0000u
                ? (bits >> 16) | 0x0040u                          // NaN: keep sign and payload top, force quiet
                : (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;   // nearest, ties to even
            BinaryPrimitives.WriteUInt16LittleEndian(destination[(2 * i)..], (ushort)rounded);
        }
    }

    /// <summary>Float32 bit patterns → BF16 bit patterns in the low 16 bits of each lane.</summary>
    private static Vector<uint> RoundToBFloat16(Vector<uint> bits)
    {
        var isNaN = Vector.GreaterThan(bits & new Vector<uint>(0x7FFF_FFFFu), new Vector<uint>(0x7F80_0000u));
        var nan = (bits >> 16) | new Vector<uint>(0x0040u);
        var rounded = (bits + new Vector<uint>(0x7FFFu) + ((bits >> 16) & Vector<uint>.One)) >> 16;
        return Vector.ConditionalSelect(isNaN, nan, rounded);
    }

    /// <summary>Element count N for N float32 and 2N bytes; throws when they disagree.</summary>
    private static int CheckLengths(int floats, int halfBytes)
    {
        if (halfBytes != 2 * (long)floats)
            throw new ArgumentException($"{halfBytes} bytes of 16-bit floats do not match {floats} float32 elements");
        return floats;
    }
}
