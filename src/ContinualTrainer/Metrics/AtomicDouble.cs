namespace ContinualTrainer.Metrics;

/// <summary>A double updated with compare-and-swap: adds from many threads without a lock.</summary>
public struct AtomicDouble
{
    private double value;

    public double Read() => Volatile.Read(ref value);

    public void Set(double v) => Interlocked.Exchange(ref value, v);

    public void Add(double delta)
    {
        double seen, updated;
        do
        {
            seen = Volatile.Read(ref value);
            updated = seen + delta;
        }
        while (Interlocked.CompareExchange(ref value, updated, seen) != seen && !double.IsNaN(seen));
    }
}
