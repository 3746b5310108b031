using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace ContinualTrainer.Ingestion.Store;

/// <summary>
/// A running SHA-256 of a file's bytes [0, <see cref="Length"/>): extended by each pass with what it consumed, so
/// <see cref="SourceFileRecord.ContentSha256"/> of a growing log costs only the new bytes.
/// </summary>
internal sealed class PrefixHash : IDisposable
{
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>How many bytes from the start have been hashed.</summary>
    public long Length { get; private set; }

    /// <summary>A hash of bytes [0, <paramref name="length"/>) of <paramref name="file"/>.</summary>
    public static PrefixHash Of(SafeFileHandle file, long length)
    {
        var prefix = new PrefixHash();
        prefix.ExtendTo(file, length);
        return prefix;
    }

    /// <summary>Hashes the bytes from <see cref="Length"/> up to <paramref name="length"/>.</summary>
    public void ExtendTo(SafeFileHandle file, long length)
    {
        if (length < Length) throw new ArgumentOutOfRangeException(nameof(length), length, $"a prefix hash cannot shrink below {Length}");
        Hashes.Append(hash, file, Length, length);
        Length = length;
    }

    /// <summary>Hex SHA-256 of the bytes hashed so far; hashing can go on.</summary>
    public string Current() => Convert.ToHexStringLower(hash.GetCurrentHash());

    public void Dispose() => hash.Dispose();
}
