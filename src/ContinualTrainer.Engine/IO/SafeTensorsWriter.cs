using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ContinualTrainer.Engine.IO;

/// <summary>
/// Writes safetensors files durably and atomically: tensors sorted by name, header padded with spaces so the
/// data buffer starts 8-byte aligned, everything written to a hidden temporary file in the target's directory,
/// flushed to disk, renamed over the target, and the directory flushed. A reader sees the old file or the new
/// one, never a torn one. Hugging Face transformers expects <c>{"format": "pt"}</c> in the metadata.
/// </summary>
public static class SafeTensorsWriter
{
    /// <summary>Floats converted to BF16 per write call.</summary>
    private const int Bf16ChunkElements = 1 << 16;

    public static void Write(string path, IEnumerable<SafeTensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors writing needs a little-endian host");
        var fullPath = Path.GetFullPath(path);
        var sorted = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        Validate(fullPath, sorted, metadata);
        var header = BuildHeader(sorted, metadata);

        var directory = Path.GetDirectoryName(fullPath)!;
        var tempPath = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.tmp-{RandomNumberGenerator.GetHexString(16, lowercase: true)}");
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
            {
                Span<byte> prefix = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
                stream.Write(prefix);
                stream.Write(header);
                foreach (var t in sorted) WriteData(stream, t);
                stream.Flush(flushToDisk: true);
            }
            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(tempPath);
            throw;
        }
        DirectorySync.Flush(directory);
    }

    private static void Validate(string path, List<SafeTensorToWrite> sorted, IReadOnlyDictionary<string, string>? metadata)
    {
        for (var i = 0; i < sorted.Count; i++)
        {
            var t = sorted[i];
            if (string.IsNullOrEmpty(t.Name)) throw new SafeTensorsFormatException(path, null, "a tensor has an empty name");
            if (t.Name == SafeTensorsHeaderParser.MetadataKey) throw new SafeTensorsFormatException(path, t.Name, "name is reserved for the metadata");
            if (i > 0 && sorted[i - 1].Name == t.Name) throw new SafeTensorsFormatException(path, t.Name, "duplicate tensor name");
            if (t.Shape.Any(d => d < 0)) throw new SafeTensorsFormatException(path, t.Name, $"shape {SafeTensorInfo.FormatShape(t.Shape)} has a negative dimension");
            long count;
            try
            {
                count = SafeTensorInfo.CountElements(t.Shape);
            }
            catch (OverflowException)
            {
                throw new SafeTensorsFormatException(path, t.Name, $"shape {SafeTensorInfo.FormatShape(t.Shape)} overflows the element count");
            }
            if (count != t.DataLength)
                throw new SafeTensorsFormatException(path, t.Name, $"shape {SafeTensorInfo.FormatShape(t.Shape)} has {count} elements but {t.DataLength} were supplied");
        }
        if (metadata is not null && metadata.Values.Any(v => v is null))
            throw new SafeTensorsFormatException(path, null, "metadata has a null value");
    }

    /// <summary>The JSON header, padded with spaces to a multiple of 8 bytes.</summary>
    private static byte[] BuildHeader(List<SafeTensorToWrite> sorted, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is not null)
            {
                json.WriteStartObject(SafeTensorsHeaderParser.MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in sorted)
            {
                var bytes = (long)t.DataLength * t.DType.ByteSize();
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", t.DType.HeaderName());
                json.WriteStartArray("shape");
                foreach (var d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        var padded = new byte[(buffer.WrittenCount + 7) / 8 * 8];
        buffer.WrittenSpan.CopyTo(padded);
        padded.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return padded;
    }

    private static void WriteData(FileStream stream, SafeTensorToWrite t)
    {
        switch (t.DType)
        {
            case SafeTensorDType.F32:
                stream.Write(MemoryMarshal.AsBytes(t.FloatData.Span));
                break;
            case SafeTensorDType.I64:
                stream.Write(MemoryMarshal.AsBytes(t.Int64Data.Span));
                break;
            case SafeTensorDType.BF16:
                var scratch = ArrayPool<byte>.Shared.Rent(2 * Bf16ChunkElements);
                try
                {
                    for (var start = 0; start < t.FloatData.Length; start += Bf16ChunkElements)
                    {
                        var count = Math.Min(Bf16ChunkElements, t.FloatData.Length - start);
                        var bytes = scratch.AsSpan(0, 2 * count);
                        HalfPrecision.SingleToBFloat16(bytes, t.FloatData.Span.Slice(start, count));
                        stream.Write(bytes);
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(scratch);
                }
                break;
            default:
                throw new InvalidOperationException($"tensor '{t.Name}': dtype {t.DType.HeaderName()} cannot be written");
        }
    }
}
