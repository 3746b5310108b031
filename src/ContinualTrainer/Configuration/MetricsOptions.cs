using System.Globalization;
using System.Net;

namespace ContinualTrainer.Configuration;

/// <summary>Section <c>Metrics</c>: the local HTTP listener (Prometheus <c>/metrics</c> and the admin API).</summary>
public sealed record MetricsOptions
{
    /// <summary><c>Metrics:Listen</c>: <c>host:port</c>, default <c>127.0.0.1:9464</c>; port 0 picks a free port.</summary>
    public required IPEndPoint Listen { get; init; }

    public static MetricsOptions Read(SettingsReader reader)
    {
        var raw = reader.GetString("Metrics:Listen", "127.0.0.1:9464")!;
        if (!IPEndPoint.TryParse(raw, out var endpoint) || raw.LastIndexOf(':') < 0
            || !int.TryParse(raw.AsSpan(raw.LastIndexOf(':') + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            if (raw.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(raw.AsSpan(10), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535)
                return new MetricsOptions { Listen = new IPEndPoint(IPAddress.Loopback, port) };
            throw SettingsReader.Invalid("Metrics:Listen", raw, "an address and port such as 127.0.0.1:9464 or [::1]:9464");
        }
        return new MetricsOptions { Listen = endpoint };
    }
}
