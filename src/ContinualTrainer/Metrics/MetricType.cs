namespace ContinualTrainer.Metrics;

/// <summary>The metric types of the text exposition format that this registry writes.</summary>
public enum MetricType
{
    Counter,
    Gauge,
    Histogram,
}
