using System.Globalization;

namespace ContinualTrainer.Tests.EndToEnd;

/// <summary>
/// One scrape of <c>/metrics</c> (Prometheus text format): each sample's value by its series exactly as the daemon
/// printed it, e.g. <c>continual_trainer_runs_total{result="accepted"}</c>.
/// </summary>
internal sealed class MetricSamples
{
    private readonly Dictionary<string, double> samples;

    private MetricSamples(Dictionary<string, double> samples) => this.samples = samples;

    public static MetricSamples Parse(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var space = line.LastIndexOf(' ');
            if (space <= 0 || !double.TryParse(line.AsSpan(space + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                throw new FormatException($"/metrics line is not 'SERIES VALUE': {line}");
            samples[line[..space]] = value;
        }
        return new MetricSamples(samples);
    }

    /// <summary>The value of <paramref name="series"/>, or null when the scrape does not have it.</summary>
    public double? this[string series] => samples.TryGetValue(series, out var value) ? value : null;

    /// <summary>The continual_trainer_* samples, for messages.</summary>
    public override string ToString() =>
        string.Join("; ", samples.Where(s => s.Key.StartsWith("continual_trainer_", StringComparison.Ordinal)).Select(s => $"{s.Key} {s.Value.ToString(CultureInfo.InvariantCulture)}"));
}
