using System.Text;

namespace ContinualTrainer.Metrics;

/// <summary>
/// The families the daemon exposes on <c>/metrics</c>. Components create their instruments here, where
/// the work happens; a scrape renders a snapshot in the text exposition format 0.0.4.
/// </summary>
public sealed class MetricsRegistry
{
    /// <summary>Prefix of the daemon's own metric names.</summary>
    public const string Prefix = "continual_trainer_";

    private readonly Lock gate = new();
    private readonly List<(string Name, Action<StringBuilder> Write)> families = [];

    public Counter Counter(string name, string help, params string[] labelNames) => Add(new Counter(name, help, labelNames), f => f.Name, (f, b) => f.Write(b));

    public Gauge Gauge(string name, string help, params string[] labelNames) => Add(new Gauge(name, help, labelNames), f => f.Name, (f, b) => f.Write(b));

    public Histogram Histogram(string name, string help, double[] buckets, params string[] labelNames) =>
        Add(new Histogram(name, help, buckets, labelNames), f => f.Name, (f, b) => f.Write(b));

    private T Add<T>(T family, Func<T, string> name, Action<T, StringBuilder> write)
    {
        lock (gate)
        {
            if (families.Any(f => f.Name == name(family))) throw new InvalidOperationException($"metric {name(family)} is registered twice");
            families.Add((name(family), b => write(family, b)));
        }
        return family;
    }

    /// <summary>The whole exposition, families in registration order.</summary>
    public string Render()
    {
        (string Name, Action<StringBuilder> Write)[] snapshot;
        lock (gate) snapshot = families.ToArray();
        var output = new StringBuilder(4096);
        foreach (var family in snapshot) family.Write(output);
        return output.ToString();
    }
}
