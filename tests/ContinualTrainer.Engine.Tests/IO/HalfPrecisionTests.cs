using System.Buffers.Binary;
using ContinualTrainer.Engine.IO;

namespace ContinualTrainer.Engine.Tests.IO;

public sealed class HalfPrecisionTests
{
    /// <summary>All 65,536 16-bit patterns, little-endian, starting at an odd byte offset (unaligned).</summary>
    private static byte[] EveryPatternUnaligned(out int count)
    {
        count = 1 << 16;
        var bytes = new byte[1 + 2 * count];
        for (var i = 0; i < count; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(1 + 2 * i), (ushort)i);
        return bytes;
    }

    [Fact]
    public void Fast_BF16_to_float32_matches_the_reference_on_every_bit_pattern()
    {
        var bytes = EveryPatternUnaligned(out var n);
        var fast = new float[n];
        var naive = new float[n];

        HalfPrecision.BFloat16ToSingle(fast, bytes.AsSpan(1));
        HalfPrecision.BFloat16ToSingleReference(naive, bytes.AsSpan(1));

        Assert.Equal(naive.Select(BitConverter.SingleToUInt32Bits), fast.Select(BitConverter.SingleToUInt32Bits));
    }

    [Fact]
    public void Fast_F16_to_float32_matches_the_reference_on_every_bit_pattern()
    {
        var bytes = EveryPatternUnaligned(out var n);
        var fast = new float[n];
        var naive = new float[n];

        HalfPrecision.HalfToSingle(fast, bytes.AsSpan(1));
        HalfPrecision.HalfToSingleReference(naive, bytes.AsSpan(1));

        for (var i = 0; i < n; i++)
        {
            if (float.IsNaN(naive[i])) Assert.True(float.IsNaN(fast[i]), $"pattern 0x{i:x4}");
            else Assert.Equal(BitConverter.SingleToUInt32Bits(naive[i]), BitConverter.SingleToUInt32Bits(fast[i]));
        }
    }

    [Fact]
    public void Fast_float32_to_BF16_matches_the_reference()
    {
        var random = new Random(20240601);
        var source = new float[10_007];
        for (var i = 0; i < source.Length; i++) source[i] = BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32));
        source[0] = float.NaN;
        source[1] = float.MaxValue;
        source[2] = -0f;
        source[3] = BitConverter.UInt32BitsToSingle(0x3F80_8000u);
        var fast = new byte[2 * source.Length + 1];
        var naive = new byte[2 * source.Length];

        HalfPrecision.SingleToBFloat16(fast.AsSpan(1), source);
        HalfPrecision.SingleToBFloat16Reference(naive, source);

        Assert.Equal(naive, fast.AsSpan(1).ToArray());
    }

    [Theory]
    [InlineData(0x3F80, 1f)]
    [InlineData(0xC000, -2f)]
    [InlineData(0x7F80, float.PositiveInfinity)]
    [InlineData(0x3E20, 0.15625f)]
    public void BF16_reference_decodes_known_patterns(int bits, float expected)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)bits);
        var value = new float[1];

        HalfPrecision.BFloat16ToSingleReference(value, bytes);

        Assert.Equal(expected, value[0]);
    }

    [Fact]
    public void BF16_smallest_subnormal_decodes_to_two_to_the_minus_133()
    {
        var value = new float[1];

        HalfPrecision.BFloat16ToSingleReference(value, [0x01, 0x00]);

        Assert.Equal(MathF.ScaleB(1f, -133), value[0]);
    }

    [Theory]
    [InlineData(0x3F80_0000u, 0x3F80)] // 1.0 exact
    [InlineData(0x3F80_8000u, 0x3F80)] // halfway, ties to even (down)
    [InlineData(0x3F81_8000u, 0x3F82)] // halfway, ties to even (up)
    [InlineData(0x3F80_8001u, 0x3F81)] // just above halfway
    [InlineData(0x3F80_7FFFu, 0x3F80)] // just below halfway
    [InlineData(0x7F7F_FFFFu, 0x7F80)] // float.MaxValue rounds to +infinity
    [InlineData(0x8000_0000u, 0x8000)] // -0 keeps its sign
    [InlineData(0xFF80_0000u, 0xFF80)] // -infinity
    public void Float32_to_BF16_rounds_to_nearest_even(uint input, int expected)
    {
        var bytes = new byte[2];

        HalfPrecision.SingleToBFloat16(bytes, [BitConverter.UInt32BitsToSingle(input)]);

        Assert.Equal((ushort)expected, BinaryPrimitives.ReadUInt16LittleEndian(bytes));
    }

    [Theory]
    [InlineData(0x7FC0_0000u)]
    [InlineData(0x7F80_0001u)] // signalling NaN whose payload sits below bit 16: must not become infinity
    [InlineData(0xFFFF_FFFFu)]
    public void Float32_NaN_stays_NaN_in_BF16(uint input)
    {
        var bytes = new byte[2];

        HalfPrecision.SingleToBFloat16(bytes, [BitConverter.UInt32BitsToSingle(input)]);

        var bits = BinaryPrimitives.ReadUInt16LittleEndian(bytes);
        Assert.Equal(0x7F80, bits & 0x7F80);
        Assert.NotEqual(0, bits & 0x007F);
    }

    [Fact]
    public void Mismatched_lengths_are_refused()
    {
        Assert.Throws<ArgumentException>(() => HalfPrecision.BFloat16ToSingle(new float[3], new byte[4]));
    }
}
