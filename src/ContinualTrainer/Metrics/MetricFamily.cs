using System.Collections.Concurrent;
using System.Text;

namespace ContinualTrainer.Metrics;

/// <summary>
/// One metric family: a name, its HELP text, its type and label names, and one child per combination of
/// label values. Updates touch only the child (lock-free), so a scrape never blocks the work that updates it.
/// </summary>
public abstract class MetricFamily<TChild>
    where TChild : class
{
    private readonly ConcurrentDictionary<LabelValues, TChild> children = new();

    protected MetricFamily(string name, string help, MetricType type, string[] labelNames)
    {
        if (!PrometheusText.IsValidMetricName(name)) throw new ArgumentException($"invalid metric name '{name}'", nameof(name));
        foreach (var label in labelNames)
        {
            if (!PrometheusText.IsValidLabelName(label) || label == "le") throw new ArgumentException($"invalid label name '{label}' on {name}", nameof(labelNames));
        }
        if (labelNames.Distinct(StringComparer.Ordinal).Count() != labelNames.Length) throw new ArgumentException($"duplicate label name on {name}", nameof(labelNames));
        Name = name;
        Help = help;
        Type = type;
        LabelNames = labelNames;
    }

    public string Name { get; }
    public string Help { get; }
    public MetricType Type { get; }
    public IReadOnlyList<string> LabelNames { get; }

    /// <summary>The child for these label values (created on first use), in the order of <see cref="LabelNames"/>.</summary>
    public TChild WithLabels(params string[] values)
    {
        if (values.Length != LabelNames.Count)
            throw new ArgumentException($"{Name} takes {LabelNames.Count} label values ({string.Join(", ", LabelNames)}), got {values.Length}");
        return children.GetOrAdd(new LabelValues(values), static (_, family) => family.CreateChild(), this);
    }

    /// <summary>Forgets every child (e.g. a per-version gauge when the version changed).</summary>
    public void Clear() => children.Clear();

    protected abstract TChild CreateChild();

    protected abstract void WriteChild(StringBuilder output, string labels, TChild child);

    internal void Write(StringBuilder output)
    {
        output.Append("# HELP ").Append(Name).Append(' ');
        PrometheusText.AppendHelp(output, Help);
        output.Append('\n');
        output.Append("# TYPE ").Append(Name).Append(' ').Append(Type.ToString().ToLowerInvariant()).Append('\n');
        foreach (var (values, child) in children.OrderBy(p => p.Key))
        {
            WriteChild(output, FormatLabels(values.Values), child);
        }
    }

    private string FormatLabels(string[] values)
    {
        if (values.Length == 0) return "";
        var builder = new StringBuilder();
        for (var i = 0; i < values.Length; i++)
        {
            builder.Append(i == 0 ? "" : ",").Append(LabelNames[i]).Append("=\"");
            PrometheusText.AppendLabelValue(builder, values[i]);
            builder.Append('"');
        }
        return builder.ToString();
    }

    /// <summary>Writes one sample line: name{labels[,extra]} value.</summary>
    protected static void WriteSample(StringBuilder output, string name, string labels, string? extraLabel, double value)
    {
        output.Append(name);
        if (labels.Length > 0 || extraLabel is not null)
        {
            output.Append('{').Append(labels);
            if (extraLabel is not null) output.Append(labels.Length > 0 ? "," : "").Append(extraLabel);
            output.Append('}');
        }
        output.Append(' ').Append(PrometheusText.FormatNumber(value)).Append('\n');
    }

    private sealed class LabelValues(string[] values) : IEquatable<LabelValues>, IComparable<LabelValues>
    {
        public string[] Values { get; } = values;

        public bool Equals(LabelValues? other) => other is not null && Values.AsSpan().SequenceEqual(other.Values);

        public override bool Equals(object? obj) => Equals(obj as LabelValues);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            foreach (var v in Values) hash.Add(v, StringComparer.Ordinal);
            return hash.ToHashCode();
        }

        public int CompareTo(LabelValues? other)
        {
            if (other is null) return 1;
            for (var i = 0; i < Values.Length; i++)
            {
                var c = string.CompareOrdinal(Values[i], other.Values[i]);
                if (c != 0) return c;
            }
            return 0;
        }
    }
}
