using System.Text.Json;
using System.Text.Unicode;

namespace ContinualTrainer.Engine.IO;

/// <summary>
/// Parses and validates the JSON header of a safetensors file with a streaming reader, so that duplicate
/// names are seen, nesting is bounded and nothing is allocated beyond a small multiple of the header size.
/// </summary>
internal static class SafeTensorsHeaderParser
{
    /// <summary>The header needs depth 3; anything much deeper is refused before it costs time.</summary>
    public const int MaxDepth = 16;

    public const string MetadataKey = "__metadata__";

    /// <param name="header">The header bytes (without the 8-byte length prefix).</param>
    /// <param name="dataLength">Bytes in the data buffer that follows the header.</param>
    /// <param name="path">The file, for messages.</param>
    public static void Parse(
        ReadOnlySpan<byte> header,
        long dataLength,
        string path,
        out Dictionary<string, SafeTensorInfo> tensors,
        out Dictionary<string, string> metadata)
    {
        if (header.IsEmpty || header[0] != (byte)'{')
            throw new SafeTensorsFormatException(path, null, "header does not start with '{'");
        if (!Utf8.IsValid(header))
            throw new SafeTensorsFormatException(path, null, "header is not valid UTF-8");

        tensors = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
        metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(header, new JsonReaderOptions
        {
            MaxDepth = MaxDepth,
            CommentHandling = JsonCommentHandling.Disallow,
            AllowTrailingCommas = false,
        });
        try
        {
            if (Next(ref reader) != JsonTokenType.StartObject)
                throw new SafeTensorsFormatException(path, null, "header is not a JSON object");
            var metadataSeen = false;
            while (Next(ref reader) == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                if (name == MetadataKey)
                {
                    if (metadataSeen) throw new SafeTensorsFormatException(path, null, $"duplicate key '{MetadataKey}'");
                    metadataSeen = true;
                    ReadMetadata(ref reader, path, metadata);
                }
                else
                {
                    if (tensors.ContainsKey(name)) throw new SafeTensorsFormatException(path, name, "duplicate tensor name");
                    tensors.Add(name, ReadTensor(ref reader, path, name, dataLength));
                }
            }
            if (reader.Read()) throw new SafeTensorsFormatException(path, null, "header has content after the JSON object");
        }
        catch (JsonException ex)
        {
            throw new SafeTensorsFormatException(path, null, $"header is not valid JSON ({ex.Message})");
        }
        catch (InvalidOperationException ex)
        {
            // Raised by GetString on escapes that do not form valid UTF-16, e.g. a lone "\ud800".
            throw new SafeTensorsFormatException(path, null, $"header holds an invalid string ({ex.Message})");
        }
        CheckContiguous(tensors.Values, dataLength, path);
    }

    private static SafeTensorInfo ReadTensor(ref Utf8JsonReader reader, string path, string name, long dataLength)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new SafeTensorsFormatException(path, name, $"entry is a JSON {Describe(reader.TokenType)}, expected an object");
        string? dtypeName = null;
        long[]? shape = null;
        long[]? offsets = null;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            switch (key)
            {
                case "dtype":
                    if (dtypeName is not null) throw new SafeTensorsFormatException(path, name, "duplicate key 'dtype'");
                    if (reader.TokenType != JsonTokenType.String)
                        throw new SafeTensorsFormatException(path, name, $"dtype is a JSON {Describe(reader.TokenType)}, expected a string");
                    dtypeName = reader.GetString()!;
                    break;
                case "shape":
                    if (shape is not null) throw new SafeTensorsFormatException(path, name, "duplicate key 'shape'");
                    shape = ReadNonNegativeIntegers(ref reader, path, name, "shape");
                    break;
                case "data_offsets":
                    if (offsets is not null) throw new SafeTensorsFormatException(path, name, "duplicate key 'data_offsets'");
                    offsets = ReadNonNegativeIntegers(ref reader, path, name, "data_offsets");
                    break;
                default:
                    throw new SafeTensorsFormatException(path, name, $"unknown key '{SafeTensorsFormatException.Printable(key)}'");
            }
        }
        if (dtypeName is null) throw new SafeTensorsFormatException(path, name, "missing key 'dtype'");
        if (shape is null) throw new SafeTensorsFormatException(path, name, "missing key 'shape'");
        if (offsets is null) throw new SafeTensorsFormatException(path, name, "missing key 'data_offsets'");

        if (!SafeTensorDTypes.TryParse(dtypeName, out var dtype))
            throw new SafeTensorsFormatException(path, name, $"unknown dtype '{SafeTensorsFormatException.Printable(dtypeName)}'");
        if (offsets.Length != 2)
            throw new SafeTensorsFormatException(path, name, $"data_offsets has {offsets.Length} entries, expected 2");
        var (begin, end) = (offsets[0], offsets[1]);
        if (begin > end)
            throw new SafeTensorsFormatException(path, name, $"data_offsets [{begin}, {end}] has begin after end");

        long elements, bytes;
        try
        {
            elements = SafeTensorInfo.CountElements(shape);
            bytes = checked(elements * dtype.ByteSize());
        }
        catch (OverflowException)
        {
            throw new SafeTensorsFormatException(path, name, $"shape {SafeTensorInfo.FormatShape(shape)} overflows the element count");
        }
        if (end - begin != bytes)
            throw new SafeTensorsFormatException(path, name,
                $"data_offsets [{begin}, {end}] span {end - begin} bytes but shape {SafeTensorInfo.FormatShape(shape)} of {dtypeName} needs {bytes}");
        if (end > dataLength)
            throw new SafeTensorsFormatException(path, name,
                $"data_offsets [{begin}, {end}] run past the {dataLength}-byte data buffer");
        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    private static long[] ReadNonNegativeIntegers(ref Utf8JsonReader reader, string path, string name, string key)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new SafeTensorsFormatException(path, name, $"{key} is a JSON {Describe(reader.TokenType)}, expected an array of integers");
        var values = new List<long>();
        while (Next(ref reader) != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value))
                throw new SafeTensorsFormatException(path, name, $"{key} holds {Token(ref reader)}, expected a non-negative integer");
            if (value < 0)
                throw new SafeTensorsFormatException(path, name, $"{key} holds {value}, expected a non-negative integer");
            values.Add(value);
        }
        return values.ToArray();
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, string path, Dictionary<string, string> metadata)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new SafeTensorsFormatException(path, null, $"{MetadataKey} is a JSON {Describe(reader.TokenType)}, expected an object of strings");
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
                throw new SafeTensorsFormatException(path, null,
                    $"{MetadataKey} entry '{SafeTensorsFormatException.Printable(key)}' is a JSON {Describe(reader.TokenType)}, expected a string");
            if (!metadata.TryAdd(key, reader.GetString()!))
                throw new SafeTensorsFormatException(path, null, $"{MetadataKey} has duplicate key '{SafeTensorsFormatException.Printable(key)}'");
        }
    }

    /// <summary>Sorted by begin, the tensors must tile the data buffer exactly: no gap, no overlap, no tail.</summary>
    private static void CheckContiguous(IEnumerable<SafeTensorInfo> tensors, long dataLength, string path)
    {
        long expected = 0;
        foreach (var t in tensors.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            if (t.Begin > expected)
                throw new SafeTensorsFormatException(path, t.Name, $"data_offsets [{t.Begin}, {t.End}] leave a gap: the previous tensor ends at {expected}");
            if (t.Begin < expected)
                throw new SafeTensorsFormatException(path, t.Name, $"data_offsets [{t.Begin}, {t.End}] overlap the previous tensor, which ends at {expected}");
            expected = t.End;
        }
        if (expected != dataLength)
            throw new SafeTensorsFormatException(path, null,
                $"data buffer is {dataLength} bytes but the tensors cover {expected}: {dataLength - expected} trailing bytes");
    }

    /// <summary>Reads one token; running out of input is a JSON error, never a silent end.</summary>
    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read()) throw new JsonException("unexpected end of the header");
        return reader.TokenType;
    }

    private static string Token(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null
            => System.Text.Encoding.UTF8.GetString(reader.ValueSpan.Length > 40 ? reader.ValueSpan[..40] : reader.ValueSpan),
        _ => "a JSON " + Describe(reader.TokenType),
    };

    private static string Describe(JsonTokenType type) => type switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        JsonTokenType.Null => "null",
        _ => type.ToString(),
    };
}
