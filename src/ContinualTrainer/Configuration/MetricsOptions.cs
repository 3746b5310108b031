using System.Globalization;
using System.Net;

namespace ContinualTrainer.Configuration;

/// <summary>Section <c>Metrics</c>: the local HTTP listener (Prometheus <c>/metrics</c> and the admin API).</summary>
public sealed record MetricsOptions
{
    /// <summary><c>Metrics:Listen</c>: <c>host:port</c>, default <c>127.0.0.1:9464</c>; port 0 picks a free port.</summary>
    public required IPEndPoint Listen { get; init; }

    /// <summary>
    /// <c>Metrics:AdminTokenFile</c>: the file holding the bearer token the admin API's POST endpoints require
    /// (absolute path), or null. Required when <see cref="Listen"/> is not a loopback address. The daemon reads
    /// it once at start-up; other verbs never open it.
    /// </summary>
    public string? AdminTokenFile { get; init; }

    /// <summary>Only this machine can connect: <see cref="Listen"/> is a loopback address.</summary>
    public bool LoopbackOnly => IPAddress.IsLoopback(Listen.Address);

    public static MetricsOptions Read(SettingsReader reader)
    {
        var listen = ReadListen(reader);
        var tokenFile = reader.GetString("Metrics:AdminTokenFile");
        if (tokenFile is not null && tokenFile.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
            throw SettingsReader.Invalid("Metrics:AdminTokenFile", tokenFile, "a file path");
        if (tokenFile is null && !IPAddress.IsLoopback(listen.Address))
            throw new ConfigurationException(
                $"Metrics:AdminTokenFile is required because Metrics:Listen = '{listen}' is not a loopback address: "
                + "the admin API's POST endpoints need a bearer token from that file (or listen on 127.0.0.1)");
        return new MetricsOptions { Listen = listen, AdminTokenFile = tokenFile is null ? null : Path.GetFullPath(tokenFile) };
    }

    private static IPEndPoint ReadListen(SettingsReader reader)
    {
        var raw = reader.GetString("Metrics:Listen", "127.0.0.1:9464")!;
        if (!IPEndPoint.TryParse(raw, out var endpoint) || raw.LastIndexOf(':') < 0
            || !int.TryParse(raw.AsSpan(raw.LastIndexOf(':') + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            if (raw.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(raw.AsSpan(10), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535)
                return new IPEndPoint(IPAddress.Loopback, port);
            throw SettingsReader.Invalid("Metrics:Listen", raw, "an address and port such as 127.0.0.1:9464 or [::1]:9464");
        }
        return endpoint;
    }
}
