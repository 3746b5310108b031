using System.Text;
using System.Text.Unicode;

namespace ContinualTrainer.Ingestion.Formats;

/// <summary>Strict checks of raw bytes before they are decoded: UTF-8 validity and NUL bytes.</summary>
internal static class Utf8Text
{
    /// <summary>The reason a line's bytes are not acceptable text, or null when they are.</summary>
    public static string? Problem(ReadOnlySpan<byte> bytes)
    {
        var nul = bytes.IndexOf((byte)0);
        if (nul >= 0) return $"contains a NUL byte at byte {nul + 1} (binary data)";
        if (!Utf8.IsValid(bytes)) return $"is not valid UTF-8 (byte {FirstInvalid(bytes) + 1})";
        return null;
    }

    /// <summary>Index of the first byte that does not start a valid UTF-8 sequence; -1 when all are valid.</summary>
    public static int FirstInvalid(ReadOnlySpan<byte> bytes)
    {
        var index = 0;
        while (index < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[index..], out _, out var consumed) != System.Buffers.OperationStatus.Done) return index;
            index += consumed;
        }
        return -1;
    }

    /// <summary>1-based line number of byte <paramref name="index"/> in <paramref name="bytes"/>.</summary>
    public static long LineOf(ReadOnlySpan<byte> bytes, int index) => 1 + bytes[..index].Count((byte)'\n');
}
