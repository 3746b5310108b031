using System.Text.RegularExpressions;

namespace ContinualTrainer.Configuration;

/// <summary>
/// Section <c>Checkpoints:Ssh</c>: the storage host that receives a copy of every version, reached with the
/// system OpenSSH client (<c>ssh</c>, and <c>rsync</c> over ssh) with key authentication only and strict host
/// key checking against <see cref="KnownHostsFile"/>. Every value that reaches a remote command is validated
/// here against a conservative character set, so nothing needs more than plain single quoting.
/// </summary>
public sealed partial record CheckpointsSshOptions
{
    /// <summary><c>Checkpoints:Ssh:Host</c>: host name or IPv4 address.</summary>
    public required string Host { get; init; }

    /// <summary><c>Checkpoints:Ssh:User</c>: the account on the storage host.</summary>
    public required string User { get; init; }

    /// <summary><c>Checkpoints:Ssh:Port</c>: default 22.</summary>
    public int Port { get; init; } = 22;

    /// <summary><c>Checkpoints:Ssh:Path</c>: absolute folder on the storage host that holds the versions.</summary>
    public required string Path { get; init; }

    /// <summary><c>Checkpoints:Ssh:IdentityFile</c>: the private key (never read by the daemon itself, only handed to ssh).</summary>
    public required string IdentityFile { get; init; }

    /// <summary><c>Checkpoints:Ssh:KnownHostsFile</c>: the storage host's public key(s); unknown or changed keys are refused.</summary>
    public required string KnownHostsFile { get; init; }

    /// <summary><c>Checkpoints:Ssh:ConnectTimeoutSeconds</c>: how long a connection attempt may take (default 10).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>Checkpoints:Ssh:IoTimeoutSeconds</c>: a connection silent for this long is dead (default 60).</summary>
    public TimeSpan IoTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary><c>Checkpoints:Ssh:RetryMinSeconds</c>: the first retry delay after a failed upload (default 10); it doubles per failure.</summary>
    public TimeSpan RetryMin { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary><c>Checkpoints:Ssh:RetryMaxSeconds</c>: the longest retry delay (default 900).</summary>
    public TimeSpan RetryMax { get; init; } = TimeSpan.FromSeconds(900);

    /// <summary><c>Checkpoints:Ssh:BandwidthLimitKiBps</c>: upload bandwidth cap in KiB/s (default 0: unlimited).</summary>
    public int BandwidthLimitKiBps { get; init; }

    /// <summary>Null when <c>Checkpoints:Ssh:Host</c> is not set (then no other Ssh key may be set either).</summary>
    public static CheckpointsSshOptions? Read(SettingsReader reader)
    {
        const string S = "Checkpoints:Ssh:";
        var host = reader.GetString(S + "Host");
        var user = reader.GetString(S + "User");
        var port = reader.GetInt(S + "Port", 22, 1, 65535);
        var path = reader.GetString(S + "Path");
        var identity = reader.GetString(S + "IdentityFile");
        var knownHosts = reader.GetString(S + "KnownHostsFile");
        var connect = reader.GetSeconds(S + "ConnectTimeoutSeconds", TimeSpan.FromSeconds(10), 1, 300);
        var io = reader.GetSeconds(S + "IoTimeoutSeconds", TimeSpan.FromSeconds(60), 5, 3600);
        var retryMin = reader.GetSeconds(S + "RetryMinSeconds", TimeSpan.FromSeconds(10), 0.1, 3600);
        var retryMax = reader.GetSeconds(S + "RetryMaxSeconds", TimeSpan.FromSeconds(900), 0.1, 86_400);
        var bandwidth = reader.GetInt(S + "BandwidthLimitKiBps", 0, 0, 100_000_000);
        if (host is null)
        {
            foreach (var (key, value) in new[] { ("User", user), ("Path", path), ("IdentityFile", identity), ("KnownHostsFile", knownHosts) })
            {
                if (value is not null) throw SettingsReader.Invalid(S + key, value, $"no value while {S}Host is not set (set {S}Host to use a storage host)");
            }
            return null;
        }
        if (!HostPattern().IsMatch(host)) throw SettingsReader.Invalid(S + "Host", host, "a host name or IPv4 address (letters, digits, '.', '-')");
        if (user is null || !UserPattern().IsMatch(user))
            throw SettingsReader.Invalid(S + "User", user ?? "", "a user name (lowercase letters, digits, '_', '-', '.'; not starting with '-')");
        if (path is null || !RemotePathPattern().IsMatch(path) || path.Split('/').Any(part => part is "." or ".."))
            throw SettingsReader.Invalid(S + "Path", path ?? "", "an absolute folder path of letters, digits, '.', '_', '-', '+' and '/', without '.' or '..' parts");
        if (retryMax < retryMin)
            throw SettingsReader.Invalid(S + "RetryMaxSeconds", retryMax.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"at least {S}RetryMinSeconds ({retryMin.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)})");
        return new CheckpointsSshOptions
        {
            Host = host,
            User = user,
            Port = port,
            Path = path.TrimEnd('/'),
            IdentityFile = ExistingFile(S + "IdentityFile", identity, "the private key file ssh authenticates with"),
            KnownHostsFile = ExistingFile(S + "KnownHostsFile", knownHosts, "a known_hosts file holding the storage host's key"),
            ConnectTimeout = connect,
            IoTimeout = io,
            RetryMin = retryMin,
            RetryMax = retryMax,
            BandwidthLimitKiBps = bandwidth,
        };
    }

    /// <summary>An existing file whose path passes unchanged through ssh's and rsync's option parsing (no quotes, '%', '~' or control characters).</summary>
    private static string ExistingFile(string key, string? value, string what)
    {
        if (value is null || !File.Exists(value) || value.Any(c => c is '\'' or '"' or '%' or '~' || char.IsControl(c)))
            throw SettingsReader.Invalid(key, value ?? "", $"an existing file whose path has no quotes, '%', '~' or control characters ({what})");
        return System.IO.Path.GetFullPath(value);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$")]
    private static partial Regex HostPattern();

    [GeneratedRegex("^[a-z_][a-z0-9_.-]{0,31}$")]
    private static partial Regex UserPattern();

    [GeneratedRegex("^/[A-Za-z0-9._+-][A-Za-z0-9._+/-]{0,1022}$")]
    private static partial Regex RemotePathPattern();
}
