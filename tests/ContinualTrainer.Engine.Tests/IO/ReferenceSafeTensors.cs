using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace ContinualTrainer.Engine.Tests.IO;

/// <summary>
/// An independent, deliberately simple reading of a safetensors file (whole file in memory, header via
/// JsonDocument, values by explicit little-endian bit manipulation), used as the oracle for the reader.
/// </summary>
public sealed class ReferenceSafeTensors
{
    private readonly byte[] bytes;
    private readonly long dataStart;
    private readonly Dictionary<string, (string DType, long[] Shape, long Begin, long End)> entries = new(StringComparer.Ordinal);

    public ReferenceSafeTensors(string path)
    {
        bytes = System.IO.File.ReadAllBytes(path);
        var n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        dataStart = 8 + n;
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n));
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__")
            {
                Metadata = p.Value.EnumerateObject().ToDictionary(m => m.Name, m => m.Value.GetString()!);
                continue;
            }
            var offsets = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            entries[p.Name] = (
                p.Value.GetProperty("dtype").GetString()!,
                p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray(),
                offsets[0],
                offsets[1]);
        }
    }

    public Dictionary<string, string> Metadata { get; } = new();

    public IReadOnlyCollection<string> Names => entries.Keys;

    public string DType(string name) => entries[name].DType;

    public long[] Shape(string name) => entries[name].Shape;

    public long HeaderLength => dataStart - 8;

    public float[] Floats(string name)
    {
        var (dtype, _, begin, end) = entries[name];
        var raw = bytes.AsSpan((int)(dataStart + begin), (int)(end - begin));
        var size = dtype switch
        {
            "F32" => 4,
            "BF16" => 2,
            _ => throw new InvalidOperationException($"oracle reads F32/BF16 only, not {dtype}"),
        };
        var result = new float[raw.Length / size];
        for (var i = 0; i < result.Length; i++)
        {
            var bits = size == 4
                ? BinaryPrimitives.ReadUInt32LittleEndian(raw[(4 * i)..])
                : (uint)BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]) << 16;
            result[i] = BitConverter.UInt32BitsToSingle(bits);
        }
        return result;
    }

    public long[] Int64s(string name)
    {
        var (_, _, begin, end) = entries[name];
        var raw = bytes.AsSpan((int)(dataStart + begin), (int)(end - begin));
        var result = new long[raw.Length / 8];
        for (var i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * i)..]);
        return result;
    }
}
