using System.Buffers.Binary;
using ContinualTrainer.Engine.IO;

namespace ContinualTrainer.Engine.Tests.IO;

public sealed class SafeTensorsWriterTests : IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void F32_round_trips_bit_exactly_including_special_values()
    {
        float[] values = [1f, -0f, float.NaN, float.PositiveInfinity, float.Epsilon, -3.25e-7f];
        var path = dir.File("f32.safetensors");

        SafeTensorsWriter.Write(path, [new SafeTensorToWrite("x", SafeTensorDType.F32, [2, 3], values)]);

        var oracle = new ReferenceSafeTensors(path);
        Assert.Equal("F32", oracle.DType("x"));
        Assert.Equal(new long[] { 2, 3 }, oracle.Shape("x"));
        Assert.Equal(values.Select(BitConverter.SingleToUInt32Bits), oracle.Floats("x").Select(BitConverter.SingleToUInt32Bits));
        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(values.Select(BitConverter.SingleToUInt32Bits), file.ReadFloat32("x").Select(BitConverter.SingleToUInt32Bits));
    }

    [Fact]
    public void BF16_is_stored_rounded_to_nearest_even()
    {
        // 1 + 2^-8 is halfway between BF16 neighbours 1 and 1 + 2^-7: ties to even gives 1.
        // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: ties to even gives 1 + 2^-6.
        float[] values = [1f, 1f + MathF.ScaleB(1f, -8), 1f + 3 * MathF.ScaleB(1f, -8), 1f + MathF.ScaleB(1f, -8) + MathF.ScaleB(1f, -20), float.MaxValue];
        float[] expected = [1f, 1f, 1f + MathF.ScaleB(1f, -6), 1f + MathF.ScaleB(1f, -7), float.PositiveInfinity];
        var path = dir.File("bf16.safetensors");

        SafeTensorsWriter.Write(path, [new SafeTensorToWrite("x", SafeTensorDType.BF16, [5], values)]);

        var oracle = new ReferenceSafeTensors(path);
        Assert.Equal("BF16", oracle.DType("x"));
        Assert.Equal(expected, oracle.Floats("x"));
        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(expected, file.ReadFloat32("x"));
    }

    [Fact]
    public void BF16_round_trip_of_many_values_stays_within_half_a_BF16_ulp()
    {
        var random = new Random(7);
        var values = Enumerable.Range(0, 100_003).Select(_ => (float)(random.NextDouble() * 20 - 10)).ToArray();
        var path = dir.File("bf16-many.safetensors");

        SafeTensorsWriter.Write(path, [new SafeTensorToWrite("x", SafeTensorDType.BF16, [values.Length], values)]);

        using var file = SafeTensorsFile.Open(path);
        var back = file.ReadFloat32("x");
        for (var i = 0; i < values.Length; i++)
        {
            var ulp = MathF.ScaleB(1f, MathF.ILogB(values[i]) - 7);
            Assert.True(MathF.Abs(back[i] - values[i]) <= ulp / 2, $"element {i}: {values[i]} -> {back[i]}");
        }
    }

    [Fact]
    public void Int64_round_trips()
    {
        long[] ids = [0, -1, long.MaxValue, 151_643];
        var path = dir.File("ids.safetensors");

        SafeTensorsWriter.Write(path, [new SafeTensorToWrite("ids", [2, 2], ids)]);

        Assert.Equal(ids, new ReferenceSafeTensors(path).Int64s("ids"));
        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(ids, file.ReadInt64("ids"));
    }

    [Fact]
    public void Metadata_round_trips()
    {
        var path = dir.File("meta.safetensors");
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode \"quoted\"" };

        SafeTensorsWriter.Write(path, [new SafeTensorToWrite("x", SafeTensorDType.F32, [1], new float[] { 1 })], metadata);

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(metadata, file.Metadata);
        Assert.Equal(metadata, new ReferenceSafeTensors(path).Metadata);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Data_buffer_starts_8_byte_aligned_whatever_the_name_length(int nameLength)
    {
        var path = dir.File("aligned.safetensors");

        SafeTensorsWriter.Write(path, [new SafeTensorToWrite(new string('n', nameLength), SafeTensorDType.F32, [1], new float[] { 1 })]);

        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(path));
        Assert.Equal(0UL, (8 + headerLength) % 8);
    }

    [Fact]
    public void Tensors_are_laid_out_sorted_by_name()
    {
        var path = dir.File("sorted.safetensors");
        string[] names = ["model.norm.weight", "lm_head.weight", "model.embed_tokens.weight", "a"];

        SafeTensorsWriter.Write(path, names.Select(n => new SafeTensorToWrite(n, SafeTensorDType.F32, [2], new float[] { 1, 2 })));

        using var file = SafeTensorsFile.Open(path);
        var byOffset = file.Tensors.Values.OrderBy(t => t.Begin).Select(t => t.Name);
        Assert.Equal(names.OrderBy(n => n, StringComparer.Ordinal), byOffset);
    }

    [Fact]
    public void Writes_a_file_with_no_tensors_and_one_with_an_empty_tensor()
    {
        var empty = dir.File("empty.safetensors");
        var zero = dir.File("zero.safetensors");

        SafeTensorsWriter.Write(empty, []);
        SafeTensorsWriter.Write(zero, [new SafeTensorToWrite("z", SafeTensorDType.F32, [0, 4], ReadOnlyMemory<float>.Empty)]);

        using (var file = SafeTensorsFile.Open(empty)) Assert.Empty(file.Tensors);
        using (var file = SafeTensorsFile.Open(zero)) Assert.Empty(file.ReadFloat32("z"));
    }

    [Fact]
    public void Leaves_no_temporary_file_behind()
    {
        var path = dir.File("model.safetensors");

        SafeTensorsWriter.Write(path, [new SafeTensorToWrite("x", SafeTensorDType.F32, [1], new float[] { 1 })]);
        SafeTensorsWriter.Write(path, [new SafeTensorToWrite("x", SafeTensorDType.F32, [1], new float[] { 2 })]);

        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Replaces_an_existing_file_by_rename_so_an_open_reader_keeps_the_old_contents()
    {
        var path = dir.File("model.safetensors");
        SafeTensorsWriter.Write(path, [new SafeTensorToWrite("x", SafeTensorDType.F32, [2], new float[] { 1, 2 })]);
        using var before = SafeTensorsFile.Open(path);

        SafeTensorsWriter.Write(path, [new SafeTensorToWrite("x", SafeTensorDType.F32, [3], new float[] { 7, 8, 9 })]);

        // The mapped old file is a different inode, untouched: an in-place overwrite would have changed it.
        Assert.Equal(new float[] { 1, 2 }, before.ReadFloat32("x"));
        using var after = SafeTensorsFile.Open(path);
        Assert.Equal(new float[] { 7, 8, 9 }, after.ReadFloat32("x"));
    }

    [Fact]
    public void Refused_input_leaves_an_existing_file_untouched()
    {
        var path = dir.File("model.safetensors");
        SafeTensorsWriter.Write(path, [new SafeTensorToWrite("x", SafeTensorDType.F32, [1], new float[] { 1 })]);
        var original = File.ReadAllBytes(path);

        Assert.Throws<SafeTensorsFormatException>(() =>
            SafeTensorsWriter.Write(path, [new SafeTensorToWrite("x", SafeTensorDType.F32, [3], new float[] { 1, 2 })]));

        Assert.Equal(original, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Duplicate_names_are_refused()
    {
        var ex = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsWriter.Write(dir.File("d.safetensors"),
            [new SafeTensorToWrite("x", SafeTensorDType.F32, [1], new float[] { 1 }), new SafeTensorToWrite("x", SafeTensorDType.F32, [1], new float[] { 2 })]));

        Assert.Equal("x", ex.TensorName);
    }

    [Fact]
    public void Shape_that_does_not_match_the_data_is_refused_naming_the_tensor()
    {
        var ex = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsWriter.Write(dir.File("s.safetensors"),
            [new SafeTensorToWrite("w", SafeTensorDType.BF16, [2, 2], new float[] { 1, 2, 3 })]));

        Assert.Contains("'w'", ex.Message);
        Assert.Contains("[2, 2]", ex.Message);
    }

    [Fact]
    public void Reserved_metadata_name_and_negative_dimensions_are_refused()
    {
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsWriter.Write(dir.File("r.safetensors"),
            [new SafeTensorToWrite("__metadata__", SafeTensorDType.F32, [1], new float[] { 1 })]));
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsWriter.Write(dir.File("n.safetensors"),
            [new SafeTensorToWrite("x", SafeTensorDType.F32, [-1, -1], new float[] { 1 })]));
    }

    [Fact]
    public void Float_data_cannot_be_declared_as_an_integer_dtype()
    {
        Assert.Throws<ArgumentException>(() => new SafeTensorToWrite("x", SafeTensorDType.I32, [1], new float[] { 1 }));
    }
}
