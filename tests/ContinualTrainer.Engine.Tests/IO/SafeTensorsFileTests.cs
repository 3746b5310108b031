using System.Buffers.Binary;
using System.Text;
using ContinualTrainer.Engine.IO;

namespace ContinualTrainer.Engine.Tests.IO;

public sealed class SafeTensorsFileTests : IDisposable
{
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private static string Model(string name) => SharedFixtures.Path("fixtures", "models", name, "model.safetensors");

    [SharedTheory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-qwen3-bf16")]
    public void Reads_every_fixture_tensor_like_the_reference_reader(string model)
    {
        var oracle = new ReferenceSafeTensors(Model(model));
        using var file = SafeTensorsFile.Open(Model(model));

        Assert.Equal(oracle.Names.OrderBy(n => n, StringComparer.Ordinal), file.Tensors.Keys.OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(oracle.Metadata, file.Metadata);
        foreach (var name in oracle.Names)
        {
            var info = file.Tensors[name];
            Assert.Equal(oracle.DType(name), info.DType.HeaderName());
            Assert.Equal(oracle.Shape(name), info.Shape);
            Assert.Equal(oracle.Floats(name).Select(BitConverter.SingleToUInt32Bits), file.ReadFloat32(name).Select(BitConverter.SingleToUInt32Bits));
        }
    }

    [SharedFact]
    public void Reads_F32_values_as_Python_struct_decodes_them()
    {
        using var file = SafeTensorsFile.Open(Model("tiny-llama"));

        var q = file.ReadFloat32("model.layers.0.self_attn.q_proj.weight");

        // struct.unpack('<4f', ...) on the first 16 bytes of the tensor.
        Assert.Equal(new float[] { -0.41239938139915466f, 0.28776341676712036f, 0.8776386380195618f, -0.3267827332019806f }, q[..4]);
        Assert.Equal(new long[] { 64, 64 }, file.Tensors["model.layers.0.self_attn.q_proj.weight"].Shape);
        Assert.Equal("pt", file.Metadata["format"]);
    }

    [SharedFact]
    public void Converts_BF16_by_placing_the_bits_in_the_high_half_of_a_float32()
    {
        using var file = SafeTensorsFile.Open(Model("tiny-qwen3-bf16"));
        const string name = "model.embed_tokens.weight";

        var raw = file.GetBytes(name).ToArray();
        var values = new float[1024 * 64];
        file.ReadFloat32(name, values);

        Assert.Equal(SafeTensorDType.BF16, file.Tensors[name].DType);
        Assert.Equal(2 * values.Length, raw.Length);
        for (var i = 0; i < values.Length; i++)
        {
            var bits = (uint)BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(2 * i)) << 16;
            Assert.Equal(bits, BitConverter.SingleToUInt32Bits(values[i]));
        }
        // Values decoded independently with Python struct from the raw words 0x3fb5 0x3faf 0x3fb5 0x3fc1.
        Assert.Equal(new float[] { 1.4140625f, 1.3671875f, 1.4140625f, 1.5078125f }, file.ReadFloat32("model.layers.0.self_attn.q_norm.weight")[..4]);
    }

    [SharedFact]
    public void Reads_int64_token_ids_and_mask_of_a_parity_fixture()
    {
        var path = SharedFixtures.Path("fixtures", "parity", "tiny-llama.safetensors");
        var oracle = new ReferenceSafeTensors(path);
        using var file = SafeTensorsFile.Open(path);

        var ids = file.ReadInt64("input_ids");
        var mask = file.ReadInt64("loss_mask");

        Assert.Equal(new long[] { 2, 40 }, file.Tensors["input_ids"].Shape);
        Assert.Equal(new long[] { 727, 271, 270, 294, 314, 707, 392, 539, 278, 261 }, ids[..10]);
        Assert.Equal(oracle.Int64s("input_ids"), ids);
        Assert.Equal(oracle.Int64s("loss_mask"), mask);
        Assert.All(mask, m => Assert.True(m is 0 or 1));
        Assert.Equal(22, mask.Sum());
    }

    [SharedFact]
    public void Reads_a_scalar_stored_at_an_offset_that_is_not_8_byte_aligned()
    {
        using var file = SafeTensorsFile.Open(SharedFixtures.Path("fixtures", "parity", "tiny-llama.safetensors"));

        Assert.NotEqual(0, file.Tensors["loss"].Begin % 8);
        Assert.Equal(new float[] { 2.347403049468994f }, file.ReadFloat32("loss"));
    }

    [Fact]
    public void Converts_F16_to_float32()
    {
        Half[] halves = [(Half)1.5f, (Half)(-2f), Half.MaxValue, Half.Epsilon, Half.NegativeInfinity];
        var data = new byte[2 * halves.Length];
        for (var i = 0; i < halves.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2 * i), BitConverter.HalfToUInt16Bits(halves[i]));
        var path = CraftedSafeTensors.Write(dir, Pad("""{"h":{"dtype":"F16","shape":[5],"data_offsets":[0,10]}}"""), data);

        using var file = SafeTensorsFile.Open(path);

        Assert.Equal(new float[] { 1.5f, -2f, 65504f, MathF.ScaleB(1f, -24), float.NegativeInfinity }, file.ReadFloat32("h"));
    }

    [Fact]
    public void Unknown_tensor_name_throws_KeyNotFound_naming_file_and_tensor()
    {
        var path = WriteSmall();
        using var file = SafeTensorsFile.Open(path);

        var ex = Assert.Throws<KeyNotFoundException>(() => file.ReadFloat32("nope.weight"));

        Assert.Contains(path, ex.Message);
        Assert.Contains("'nope.weight'", ex.Message);
    }

    [Fact]
    public void Float_read_of_an_int64_tensor_is_refused_naming_the_dtype()
    {
        using var file = SafeTensorsFile.Open(WriteSmall());

        var ex = Assert.Throws<SafeTensorsFormatException>(() => file.ReadFloat32("ids"));

        Assert.Contains("I64", ex.Message);
        Assert.Equal("ids", ex.TensorName);
    }

    [Fact]
    public void Int64_read_of_a_float_tensor_is_refused()
    {
        using var file = SafeTensorsFile.Open(WriteSmall());

        Assert.Throws<SafeTensorsFormatException>(() => file.ReadInt64("w"));
    }

    [Fact]
    public void Destination_of_the_wrong_length_is_refused()
    {
        using var file = SafeTensorsFile.Open(WriteSmall());

        Assert.Throws<ArgumentException>(() => file.ReadFloat32("w", new float[5]));
    }

    [Fact]
    public void Reading_after_dispose_throws_ObjectDisposed()
    {
        var file = SafeTensorsFile.Open(WriteSmall());
        file.Dispose();

        Assert.Throws<ObjectDisposedException>(() => file.ReadFloat32("w"));
    }

    [Fact]
    public void Exposes_begin_end_and_element_count_of_each_tensor()
    {
        using var file = SafeTensorsFile.Open(WriteSmall());

        var ids = file.GetInfo("ids");
        var w = file.GetInfo("w");

        Assert.Equal((0L, 16L, 2L), (ids.Begin, ids.End, ids.ElementCount));
        Assert.Equal((16L, 40L, 6L), (w.Begin, w.End, w.ElementCount));
        Assert.Equal(24, file.GetBytes("w").Length);
    }

    /// <summary>"ids" I64 [2] then "w" F32 [2, 3] = 0..5.</summary>
    private string WriteSmall()
    {
        var data = new byte[16 + 24];
        BinaryPrimitives.WriteInt64LittleEndian(data, 7);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(8), 9);
        for (var i = 0; i < 6; i++) BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(16 + 4 * i), i);
        return CraftedSafeTensors.Write(dir, Pad("""{"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"w":{"dtype":"F32","shape":[2,3],"data_offsets":[16,40]}}"""), data);
    }

    private static byte[] Pad(string header) => Encoding.UTF8.GetBytes(header.PadRight((header.Length + 7) / 8 * 8));
}
