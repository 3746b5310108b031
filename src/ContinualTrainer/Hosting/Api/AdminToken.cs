using System.Security.Cryptography;
using System.Text;
using ContinualTrainer.Checkpoints;
using ContinualTrainer.Configuration;

namespace ContinualTrainer.Hosting.Api;

/// <summary>
/// The admin API's bearer token (<c>Metrics:AdminTokenFile</c>), read once when the daemon starts. Only the
/// token's SHA-256 is kept; a presented token is hashed the same way and the two digests are compared with
/// <see cref="CryptographicOperations.FixedTimeEquals"/>, so neither the token's bytes nor its length leak
/// through timing. Never logged, never serialised.
/// </summary>
public sealed class AdminToken
{
    /// <summary>The shortest token accepted (a guessable token would make the API open).</summary>
    public const int MinLength = 16;

    /// <summary>The largest token file read: it holds one token.</summary>
    public const int MaxFileBytes = 4096;

    private const string Key = "Metrics:AdminTokenFile";
    private const string Scheme = "Bearer ";

    private readonly byte[] digest;

    private AdminToken(byte[] digest) => this.digest = digest;

    /// <summary>The token of <see cref="MetricsOptions.AdminTokenFile"/>, or null when none is configured.</summary>
    /// <exception cref="ConfigurationException">The file is missing, unreadable, readable by every user, empty or not one token.</exception>
    public static AdminToken? Load(MetricsOptions options) => options.AdminTokenFile is { } path ? Read(path) : null;

    /// <summary>Reads and checks the token file (one line of visible ASCII; surrounding white space is trimmed).</summary>
    /// <exception cref="ConfigurationException">Naming the key, the file and what is wrong with it.</exception>
    public static AdminToken Read(string path)
    {
        var where = $"{Key} {path}";
        if (Directory.Exists(path)) throw new ConfigurationException($"{where}: is a folder, not a file");
        if (!File.Exists(path)) throw new ConfigurationException($"{where}: no such file");
        if (!OperatingSystem.IsWindows() && File.GetUnixFileMode(path) is var mode && (mode & UnixFileMode.OtherRead) != 0)
            throw new ConfigurationException($"{where}: is readable by every user (mode {Octal(mode)}); the token must be private: chmod 600 (or 640 with the daemon's group) it");
        byte[] bytes;
        try
        {
            // Not blocking on a FIFO planted in place of the file.
            using var stream = PosixFiles.OpenRegularForRead(path) ?? throw new ConfigurationException($"{where}: is not a regular file");
            if (stream.Length > MaxFileBytes) throw new ConfigurationException($"{where}: is {stream.Length} bytes; a token file holds one token (at most {MaxFileBytes} bytes)");
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"{where}: cannot be read: {e.Message}");
        }
        var token = bytes.AsSpan().Trim(" \t\r\n"u8);
        if (token.IsEmpty) throw new ConfigurationException($"{where}: is empty; write a token into it (e.g. openssl rand -hex 32)");
        foreach (var b in token)
        {
            if (b is < 0x21 or > 0x7e)
                throw new ConfigurationException($"{where}: must hold one token of visible ASCII characters (no spaces, line breaks or other characters inside)");
        }
        if (token.Length < MinLength)
            throw new ConfigurationException($"{where}: the token has {token.Length} characters; use at least {MinLength} (e.g. openssl rand -hex 32)");
        return new AdminToken(SHA256.HashData(token));
    }

    /// <summary>True when <paramref name="authorization"/> (the <c>Authorization</c> header) is <c>Bearer TOKEN</c> with this token.</summary>
    public bool Accepts(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var presented = Encoding.UTF8.GetBytes(authorization.AsSpan(Scheme.Length).Trim(' ').ToString());
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(presented), digest);
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0x1ff, 8).PadLeft(3, '0');
}
