using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace ContinualTrainer.Ingestion.Store;

/// <summary>SHA-256 over byte ranges of an open file, read positionally through a pooled buffer (never the whole file at once).</summary>
internal static class Hashes
{
    /// <summary>How much of a file's start <see cref="SourceFileRecord.HeadSha256"/> covers at most.</summary>
    public const int HeadBytes = 4096;

    private const int ChunkBytes = 1 << 20;

    /// <summary>Hex SHA-256 of no bytes.</summary>
    public static string EmptySha256 { get; } = Convert.ToHexStringLower(SHA256.HashData([]));

    /// <summary>Feeds bytes [<paramref name="from"/>, <paramref name="to"/>) of the file to <paramref name="hash"/>.</summary>
    public static void Append(IncrementalHash hash, SafeFileHandle file, long from, long to)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(ChunkBytes, Math.Max(to - from, 1)));
        try
        {
            for (var position = from; position < to;)
            {
                var read = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(buffer.Length, to - position)), position);
                if (read == 0) throw new IOException($"file ended at byte {position} while reading up to {to}: it was truncated meanwhile");
                hash.AppendData(buffer, 0, read);
                position += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Hex SHA-256 of bytes [0, <paramref name="length"/>).</summary>
    public static string Prefix(SafeFileHandle file, long length)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, file, 0, length);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Hex SHA-256 of the first min(<see cref="HeadBytes"/>, <paramref name="readOffset"/>) bytes.</summary>
    public static string Head(SafeFileHandle file, long readOffset) => Prefix(file, Math.Min(HeadBytes, readOffset));

    /// <summary>Hex SHA-256 of <paramref name="bytes"/>.</summary>
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
