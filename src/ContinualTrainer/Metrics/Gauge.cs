using System.Text;

namespace ContinualTrainer.Metrics;

/// <summary>A value that goes up and down, set by the work (or read from a callback at scrape time).</summary>
public sealed class Gauge : MetricFamily<Gauge.Child>
{
    public Gauge(string name, string help, params string[] labelNames) : base(name, help, MetricType.Gauge, labelNames)
    {
    }

    public void Set(double value) => WithLabels().Set(value);

    /// <summary>The unlabelled value is read from <paramref name="read"/> at every scrape.</summary>
    public Gauge Observe(Func<double> read)
    {
        WithLabels().Observe(read);
        return this;
    }

    protected override Child CreateChild() => new();

    protected override void WriteChild(StringBuilder output, string labels, Child child) => WriteSample(output, Name, labels, null, child.Value);

    public sealed class Child
    {
        private AtomicDouble value;

        private Func<double>? callback;

        public double Value => callback?.Invoke() ?? value.Read();

        /// <summary>Reads the value from <paramref name="read"/> at scrape time.</summary>
        public void Observe(Func<double> read) => callback = read;

        public void Set(double v) => value.Set(v);

        public void Inc(double amount = 1) => value.Add(amount);
    }
}
