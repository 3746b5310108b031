using ContinualTrainer.Dataset;
using ContinualTrainer.Metrics;

namespace ContinualTrainer.Tests.Dataset;

public sealed class DatasetMetricsTests
{
    private static DatasetStats Stats(long agentLogs, long transcripts, long waiting) => new()
    {
        Fingerprint = "f",
        ChatFormat = "chatml",
        Examples = agentLogs + transcripts,
        ByCategory = new Dictionary<string, long> { ["agent-log"] = agentLogs, ["transcript"] = transcripts },
        BySource = new Dictionary<string, long>(),
        Distinct2 = 0.5,
        CategoryEntropy = DatasetStatistics.EntropyBits([agentLogs, transcripts]),
        ExamplesWaiting = waiting,
    };

    [Fact]
    public void Gauges_show_the_latest_statistics()
    {
        var registry = new MetricsRegistry();
        var metrics = new DatasetMetrics(registry);
        Assert.Contains("continual_trainer_examples{category=\"agent-log\"} 0", registry.Render());

        metrics.Update(Stats(1000, 234, 77));
        var text = registry.Render();
        Assert.Contains("continual_trainer_examples{category=\"agent-log\"} 1000\n", text);
        Assert.Contains("continual_trainer_examples{category=\"transcript\"} 234\n", text);
        Assert.Contains("continual_trainer_dataset_distinct_2 0.5\n", text);
        Assert.Contains("continual_trainer_examples_waiting 77\n", text);
        Assert.Contains("# TYPE continual_trainer_dataset_category_entropy_bits gauge", text);
        Assert.Equal("1,234 examples", DatasetMetrics.StatusFact(Stats(1000, 234, 0)));
        Assert.Equal("1 example", DatasetMetrics.StatusFact(Stats(1, 0, 0)));
    }

    [Theory]
    [InlineData(new long[] { 5, 5 }, 1.0)]
    [InlineData(new long[] { 7, 0 }, 0.0)]
    [InlineData(new long[] { 1, 1, 1, 1 }, 2.0)]
    [InlineData(new long[] { 3, 1 }, 0.8112781244591328)]
    [InlineData(new long[0], 0.0)]
    public void Category_entropy_is_shannon_entropy_in_bits(long[] counts, double bits)
    {
        Assert.Equal(bits, DatasetStatistics.EntropyBits(counts), 12);
    }
}
