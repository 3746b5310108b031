using System.Buffers.Binary;
using System.Text;
using ContinualTrainer.Engine.IO;
using static ContinualTrainer.Engine.Tests.IO.CraftedSafeTensors;

namespace ContinualTrainer.Engine.Tests.IO;

/// <summary>Malformed and hostile files: each must be refused with a one-line SafeTensorsFormatException.</summary>
public sealed class SafeTensorsHostileTests : IDisposable
{
    private const string OneTensor = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";

    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private static string Entry(string name, string dtype, string shape, string offsets) =>
        $$"""
        "{{name}}":{"dtype":"{{dtype}}","shape":{{shape}},"data_offsets":{{offsets}}}
        """;

    [Fact]
    public void Accepts_a_header_padded_with_spaces_as_control()
    {
        using var file = SafeTensorsFile.Open(Write(dir, OneTensor + "     ", 8));

        Assert.Equal(2, file.ReadFloat32("a").Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    public void Rejects_file_shorter_than_eight_bytes(int length)
    {
        AssertRefused(WriteRaw(dir, new byte[length]), "shorter than the 8-byte header length");
    }

    [Fact]
    public void Rejects_header_length_of_two_to_the_sixtieth()
    {
        AssertRefused(Write(dir, Encoding.UTF8.GetBytes(OneTensor), new byte[8], declaredHeaderLength: 1UL << 60), "exceeds the 100000000-byte limit");
    }

    [Fact]
    public void Rejects_header_longer_than_file_without_allocating_the_claimed_length()
    {
        var path = Write(dir, Encoding.UTF8.GetBytes(OneTensor), new byte[8], declaredHeaderLength: 99_999_999);
        var before = GC.GetAllocatedBytesForCurrentThread();

        AssertRefused(path, "runs past the end");

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000, "the claimed header length was allocated");
    }

    [Theory]
    [InlineData(1)]   // one data byte short
    [InlineData(8)]   // all data gone
    [InlineData(20)]  // cut inside the header
    public void Rejects_truncated_file(int cut)
    {
        var whole = dir.File("whole.safetensors");
        SafeTensorsWriter.Write(whole, [new SafeTensorToWrite("a", SafeTensorDType.F32, [2], new float[] { 1, 2 })]);
        var bytes = File.ReadAllBytes(whole);

        var ex = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(WriteRaw(dir, bytes[..^cut])).Dispose());

        Assert.DoesNotContain('\n', ex.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF })]             // never valid in UTF-8
    [InlineData(new byte[] { 0xC0, 0xAF })]       // overlong '/'
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })] // UTF-16 surrogate encoded in UTF-8
    [InlineData(new byte[] { 0xE2, 0x82 })]       // truncated sequence
    public void Rejects_header_that_is_not_valid_UTF8(byte[] bad)
    {
        var header = Encoding.UTF8.GetBytes("{\"a").Concat(bad).Concat(Encoding.UTF8.GetBytes("\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}")).ToArray();

        AssertRefused(Write(dir, header, new byte[8]), "not valid UTF-8");
    }

    [Theory]
    [InlineData("{\"a\":")]
    [InlineData("{not json}")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],}}")] // trailing comma
    [InlineData("{/*c*/\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} x")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}{}")]
    public void Rejects_header_that_is_not_one_JSON_object(string header)
    {
        AssertRefused(Write(dir, header, 8), "not valid JSON");
    }

    [Theory]
    [InlineData("[{\"a\":1}]")]
    [InlineData(" {}")]
    [InlineData("\uFEFF{}")]
    [InlineData("\"{}\"")]
    public void Rejects_header_that_does_not_start_with_a_brace(string header)
    {
        AssertRefused(Write(dir, header, 0), "does not start with '{'");
    }

    [Theory]
    [InlineData("{\"a\":", "}")]
    [InlineData("{\"__metadata__\":{\"k\":", "}}")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":", ",\"data_offsets\":[0,0]}}")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"extra\":", ",\"data_offsets\":[0,8]}}")]
    public void Rejects_ten_thousand_deep_JSON(string prefix, string suffix)
    {
        var header = prefix + new string('[', 10_000) + new string(']', 10_000) + suffix;

        var ex = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(Write(dir, header, 8)).Dispose());

        Assert.DoesNotContain('\n', ex.Message);
    }

    [Theory]
    [InlineData("F33")]
    [InlineData("f32")]
    [InlineData("9")]
    [InlineData("")]
    public void Rejects_unknown_dtype(string dtype)
    {
        AssertRefused(Write(dir, "{" + Entry("a", dtype, "[2]", "[0,8]") + "}", 8), "unknown dtype", "a");
    }

    [Theory]
    [InlineData("[-2]", "-2")]
    [InlineData("[1.5]", "1.5")]
    [InlineData("[2.0]", "2.0")]
    [InlineData("[2e0]", "2e0")]
    [InlineData("[\"2\"]", "string")]
    [InlineData("[[2]]", "array")]
    [InlineData("[null]", "null")]
    [InlineData("2", "expected an array")]
    [InlineData("{}", "expected an array")]
    [InlineData("[99999999999999999999]", "99999999999999999999")]
    public void Rejects_shape_that_is_not_an_array_of_non_negative_integers(string shape, string fragment)
    {
        AssertRefused(Write(dir, "{" + Entry("a", "F32", shape, "[0,8]") + "}", 8), fragment, "a");
    }

    [Theory]
    [InlineData("[4294967296,4294967296]")]       // 2^64 elements
    [InlineData("[2305843009213693952]")]          // 2^61 elements: 2^63 bytes of F32
    [InlineData("[9223372036854775807,2,0]")]      // overflow before the zero
    public void Rejects_shape_whose_element_or_byte_count_overflows(string shape)
    {
        AssertRefused(Write(dir, "{" + Entry("a", "F32", shape, "[0,8]") + "}", 8), "overflows", "a");
    }

    [Theory]
    [InlineData("[0]", "1 entries")]
    [InlineData("[0,8,16]", "3 entries")]
    [InlineData("[-8,0]", "-8")]
    [InlineData("[8,0]", "begin after end")]
    [InlineData("[\"0\",\"8\"]", "string")]
    [InlineData("[0,8.5]", "8.5")]
    [InlineData("null", "expected an array")]
    public void Rejects_bad_data_offsets(string offsets, string fragment)
    {
        AssertRefused(Write(dir, "{" + Entry("a", "F32", "[2]", offsets) + "}", 8), fragment, "a");
    }

    [Fact]
    public void Rejects_byte_length_that_disagrees_with_shape_and_dtype()
    {
        AssertRefused(Write(dir, "{" + Entry("a", "F32", "[3]", "[0,8]") + "}", 8), "needs 12", "a");
    }

    [Fact]
    public void Rejects_offsets_that_lie_past_the_data_buffer()
    {
        AssertRefused(Write(dir, "{" + Entry("a", "F32", "[2]", "[0,8]") + "}", 4), "run past the 4-byte data buffer", "a");
    }

    [Fact]
    public void Rejects_gap_between_tensors()
    {
        var header = "{" + Entry("a", "F32", "[1]", "[0,4]") + "," + Entry("b", "F32", "[1]", "[8,12]") + "}";

        AssertRefused(Write(dir, header, 12), "gap", "b");
    }

    [Fact]
    public void Rejects_gap_before_the_first_tensor()
    {
        AssertRefused(Write(dir, "{" + Entry("a", "F32", "[1]", "[4,8]") + "}", 8), "gap", "a");
    }

    [Fact]
    public void Rejects_overlapping_tensors()
    {
        var header = "{" + Entry("a", "F32", "[2]", "[0,8]") + "," + Entry("b", "F32", "[2]", "[4,12]") + "}";

        AssertRefused(Write(dir, header, 12), "overlap", "b");
    }

    [Fact]
    public void Rejects_two_tensors_sharing_the_same_bytes()
    {
        var header = "{" + Entry("a", "F32", "[2]", "[0,8]") + "," + Entry("b", "F32", "[2]", "[0,8]") + "}";

        AssertRefused(Write(dir, header, 8), "overlap");
    }

    [Fact]
    public void Rejects_trailing_bytes_after_the_last_tensor()
    {
        AssertRefused(Write(dir, OneTensor, 9), "1 trailing bytes");
    }

    [Fact]
    public void Rejects_data_buffer_without_tensors()
    {
        AssertRefused(Write(dir, "{}", 8), "8 trailing bytes");
    }

    [Fact]
    public void Rejects_duplicate_tensor_names()
    {
        var header = "{" + Entry("a", "F32", "[1]", "[0,4]") + "," + Entry("a", "F32", "[1]", "[4,8]") + "}";

        AssertRefused(Write(dir, header, 8), "duplicate tensor name", "a");
    }

    [Fact]
    public void Rejects_duplicate_names_spelled_with_escapes()
    {
        var header = "{" + Entry("a", "F32", "[1]", "[0,4]") + "," + Entry("\\u0061", "F32", "[1]", "[4,8]") + "}";

        AssertRefused(Write(dir, header, 8), "duplicate tensor name", "a");
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "duplicate key 'dtype'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"shape\":[2],\"data_offsets\":[0,8]}}", "duplicate key 'shape'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"data_offsets\":[0,8]}}", "duplicate key 'data_offsets'")]
    [InlineData("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", "missing key 'dtype'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", "missing key 'shape'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", "missing key 'data_offsets'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"offset\":0}}", "unknown key 'offset'")]
    [InlineData("{\"a\":[\"F32\",[2],[0,8]]}", "expected an object")]
    [InlineData("{\"a\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}", "expected a string")]
    public void Rejects_malformed_tensor_entry(string header, string fragment)
    {
        AssertRefused(Write(dir, header, 8), fragment, "a");
    }

    [Theory]
    [InlineData("\"pt\"", "expected an object")]
    [InlineData("[]", "expected an object")]
    [InlineData("null", "expected an object")]
    [InlineData("{\"format\":1}", "expected a string")]
    [InlineData("{\"format\":{\"x\":\"y\"}}", "expected a string")]
    [InlineData("{\"format\":null}", "expected a string")]
    [InlineData("{\"format\":\"pt\",\"format\":\"tf\"}", "duplicate key 'format'")]
    public void Rejects_metadata_that_is_not_an_object_of_strings(string metadata, string fragment)
    {
        var header = "{\"__metadata__\":" + metadata + "," + OneTensor[1..];

        AssertRefused(Write(dir, header, 8), fragment);
    }

    [Fact]
    public void Rejects_metadata_given_twice()
    {
        var header = "{\"__metadata__\":{},\"__metadata__\":{}," + OneTensor[1..];

        AssertRefused(Write(dir, header, 8), "duplicate key '__metadata__'");
    }

    [Fact]
    public void Rejects_escape_that_is_not_valid_UTF16()
    {
        AssertRefused(Write(dir, "{" + Entry("\\ud800", "F32", "[2]", "[0,8]") + "}", 8), "invalid string");
    }

    [Fact]
    public void Message_escapes_control_characters_in_hostile_names()
    {
        var ex = AssertRefused(Write(dir, "{" + Entry("a\\nb", "F99", "[2]", "[0,8]") + "}", 8), "unknown dtype");

        Assert.Contains("a\\u000ab", ex.Message);
    }

    [Fact]
    public void Random_mutations_of_a_valid_file_are_read_or_refused_with_a_format_error_only()
    {
        var valid = dir.File("valid.safetensors");
        SafeTensorsWriter.Write(valid,
            [
                new SafeTensorToWrite("model.embed_tokens.weight", SafeTensorDType.F32, [4, 3], Enumerable.Range(0, 12).Select(i => (float)i).ToArray()),
                new SafeTensorToWrite("model.norm.weight", SafeTensorDType.BF16, [3], new float[] { 1, 2, 3 }),
                new SafeTensorToWrite("ids", [2], new long[] { 5, 6 }),
            ],
            new Dictionary<string, string> { ["format"] = "pt" });
        var original = File.ReadAllBytes(valid);
        var headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        var random = new Random(1234);
        var mutated = dir.File("mutated.safetensors");
        var (opened, refused) = (0, 0);

        for (var iteration = 0; iteration < 2000; iteration++)
        {
            var bytes = Mutate(original, headerEnd, random);
            File.WriteAllBytes(mutated, bytes);
            try
            {
                using var file = SafeTensorsFile.Open(mutated);
                foreach (var info in file.Tensors.Values)
                {
                    if (info.DType == SafeTensorDType.I64) file.ReadInt64(info.Name);
                    else file.ReadFloat32(info.Name);
                }
                opened++;
            }
            catch (SafeTensorsFormatException ex)
            {
                Assert.DoesNotContain('\n', ex.Message);
                refused++;
            }
        }

        // Both outcomes occur, so the mutations neither all miss nor all break the header.
        Assert.True(opened > 0 && refused > 0, $"opened {opened}, refused {refused}");
    }

    private static byte[] Mutate(byte[] original, int headerEnd, Random random)
    {
        var bytes = (byte[])original.Clone();
        switch (random.Next(6))
        {
            case 0: // flip bits inside the header
            case 1:
                for (var k = random.Next(1, 4); k > 0; k--) bytes[random.Next(8, headerEnd)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case 2: // replace a header byte with a JSON-significant character
                const string significant = "{}[]\",:-.0123456789eE \\u";
                bytes[random.Next(8, headerEnd)] = (byte)significant[random.Next(significant.Length)];
                return bytes;
            case 3: // corrupt the length prefix
                bytes[random.Next(0, 8)] = (byte)random.Next(256);
                return bytes;
            case 4: // truncate anywhere
                return bytes[..random.Next(bytes.Length)];
            default: // append junk or overwrite data bytes
                if (random.Next(2) == 0) return [.. bytes, .. Enumerable.Range(0, random.Next(1, 16)).Select(_ => (byte)random.Next(256))];
                bytes[random.Next(headerEnd, bytes.Length)] = (byte)random.Next(256);
                return bytes;
        }
    }
}
