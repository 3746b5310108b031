using System.Text;

namespace ContinualTrainer.Metrics;

/// <summary>A monotonically increasing count; its name ends in <c>_total</c>.</summary>
public sealed class Counter : MetricFamily<Counter.Child>
{
    public Counter(string name, string help, params string[] labelNames) : base(name, help, MetricType.Counter, labelNames)
    {
        if (!name.EndsWith("_total", StringComparison.Ordinal)) throw new ArgumentException($"counter {name} must end in _total", nameof(name));
        if (labelNames.Length == 0) WithLabels(); // an unlabelled counter is exposed (as 0) from the start
    }

    public void Inc(double amount = 1) => WithLabels().Inc(amount);

    /// <summary>The unlabelled value is read from <paramref name="read"/> (a monotonic total kept elsewhere) at every scrape.</summary>
    public Counter Observe(Func<double> read)
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

        /// <summary>Reads the value from <paramref name="read"/> at scrape time instead of counting here.</summary>
        public void Observe(Func<double> read) => callback = read;

        public void Inc(double amount = 1)
        {
            if (amount < 0 || double.IsNaN(amount)) throw new ArgumentOutOfRangeException(nameof(amount), "a counter only goes up");
            value.Add(amount);
        }
    }
}
