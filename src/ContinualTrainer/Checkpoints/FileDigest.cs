using System.Security.Cryptography;

namespace ContinualTrainer.Checkpoints;

/// <summary>Size and SHA-256 of files, computed in one streaming pass (also while copying).</summary>
internal static class FileDigest
{
    private const int BufferSize = 1 << 20;

    /// <summary>
    /// The SHA-256 (lowercase hex) of the stream's content, or null when it holds more than
    /// <paramref name="maxBytes"/> bytes (reading stops there, so a file growing or a device never ends a read).
    /// </summary>
    public static async Task<string?> ComputeAsync(Stream stream, long maxBytes, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[BufferSize];
        long size = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            size += read;
            if (size > maxBytes) return null;
            hash.AppendData(buffer, 0, read);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Copies <paramref name="source"/> to the new file <paramref name="destination"/> (created with the process
    /// umask, flushed to disk) and returns what was read, hashed on the way.
    /// </summary>
    public static async Task<(long Size, string Sha256)> CopyAsync(string source, string destination, CancellationToken cancellationToken)
    {
        await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using var output = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[BufferSize];
        long size = 0;
        int read;
        while ((read = await input.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            size += read;
        }
        output.Flush(flushToDisk: true);
        return (size, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>Writes <paramref name="bytes"/> to the new file <paramref name="path"/> and flushes it to disk.</summary>
    public static void WriteNew(string path, ReadOnlySpan<byte> bytes)
    {
        using var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        output.Write(bytes);
        output.Flush(flushToDisk: true);
    }

    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>True for 64 lowercase hex digits.</summary>
    public static bool IsSha256(string? value) => value is { Length: 64 } && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
