using System.Text;

namespace ContinualTrainer.Metrics;

/// <summary>
/// Observations counted into cumulative buckets (<c>_bucket{le="..."}</c> ending in <c>le="+Inf"</c>, equal to
/// <c>_count</c>), with <c>_sum</c> and <c>_count</c>.
/// </summary>
public sealed class Histogram : MetricFamily<Histogram.Child>
{
    private readonly double[] bounds;

    public Histogram(string name, string help, double[] buckets, params string[] labelNames) : base(name, help, MetricType.Histogram, labelNames)
    {
        if (buckets.Length == 0 || buckets.Any(b => !double.IsFinite(b)) || buckets.Zip(buckets.Skip(1)).Any(p => p.First >= p.Second))
            throw new ArgumentException($"{name}: buckets must be finite and strictly increasing", nameof(buckets));
        bounds = buckets;
        if (labelNames.Length == 0) WithLabels();
    }

    public IReadOnlyList<double> Buckets => bounds;

    public void Observe(double value) => WithLabels().Observe(value);

    protected override Child CreateChild() => new(bounds);

    protected override void WriteChild(StringBuilder output, string labels, Child child)
    {
        var (counts, sum, count) = child.Snapshot();
        long cumulative = 0;
        for (var i = 0; i < bounds.Length; i++)
        {
            cumulative += counts[i];
            WriteSample(output, Name + "_bucket", labels, $"le=\"{PrometheusText.FormatNumber(bounds[i])}\"", cumulative);
        }
        WriteSample(output, Name + "_bucket", labels, "le=\"+Inf\"", count);
        WriteSample(output, Name + "_sum", labels, null, sum);
        WriteSample(output, Name + "_count", labels, null, count);
    }

    public sealed class Child(double[] bounds)
    {
        private readonly long[] counts = new long[bounds.Length + 1];
        private readonly Lock gate = new();
        private double sum;

        public void Observe(double value)
        {
            var i = Array.BinarySearch(bounds, value);
            var bucket = i >= 0 ? i : ~i; // le: a value equal to a bound belongs to that bucket
            lock (gate)
            {
                counts[bucket]++;
                sum += value;
            }
        }

        /// <summary>A consistent copy: the +Inf bucket always equals the count.</summary>
        internal (long[] Counts, double Sum, long Count) Snapshot()
        {
            lock (gate)
            {
                return ((long[])counts.Clone(), sum, counts.Sum());
            }
        }
    }
}
