using ContinualTrainer.Metrics;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Metrics;

public sealed class PrometheusExpositionTests
{
    [Fact]
    public void Help_and_type_come_once_before_the_samples_of_a_family()
    {
        var registry = new MetricsRegistry();
        var runs = registry.Counter("continual_trainer_runs_total", "Training runs by result", "result");
        runs.WithLabels("accepted").Inc();
        runs.WithLabels("rejected").Inc(2);

        var lines = registry.Render().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(
        [
            "# HELP continual_trainer_runs_total Training runs by result",
            "# TYPE continual_trainer_runs_total counter",
            "continual_trainer_runs_total{result=\"accepted\"} 1",
            "continual_trainer_runs_total{result=\"rejected\"} 2",
        ], lines);
    }

    [Fact]
    public void Help_text_and_label_values_are_escaped()
    {
        var registry = new MetricsRegistry();
        registry.Gauge("g", "a \\ backslash\nand a newline", "path").WithLabels("C:\\dir \"quoted\"\nnext").Set(1);

        var text = registry.Render();

        Assert.Contains("# HELP g a \\\\ backslash\\nand a newline\n", text);
        Assert.Contains("g{path=\"C:\\\\dir \\\"quoted\\\"\\nnext\"} 1\n", text);
    }

    [Theory]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(1234567.5, "1234567.5")]
    [InlineData(1e-7, "1E-07")]
    [InlineData(-0.25, "-0.25")]
    public void Numbers_use_the_invariant_culture_and_prometheus_spellings(double value, string expected)
    {
        Assert.Equal(expected, PrometheusText.FormatNumber(value));
    }

    [Fact]
    public void Histogram_buckets_are_cumulative_and_end_in_plus_Inf_equal_to_count()
    {
        var registry = new MetricsRegistry();
        var histogram = registry.Histogram("run_duration_seconds", "Run wall time", [1, 10, 100]);
        foreach (var v in new[] { 0.5, 1, 5, 50, 500, 5000 }) histogram.Observe(v);

        var lines = registry.Render().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(
        [
            "# HELP run_duration_seconds Run wall time",
            "# TYPE run_duration_seconds histogram",
            "run_duration_seconds_bucket{le=\"1\"} 2",
            "run_duration_seconds_bucket{le=\"10\"} 3",
            "run_duration_seconds_bucket{le=\"100\"} 4",
            "run_duration_seconds_bucket{le=\"+Inf\"} 6",
            "run_duration_seconds_sum 5556.5",
            "run_duration_seconds_count 6",
        ], lines);
    }

    [Fact]
    public void Instruments_refuse_what_the_format_does_not_allow()
    {
        var registry = new MetricsRegistry();
        Assert.Throws<ArgumentException>(() => registry.Counter("runs", "no _total suffix"));
        Assert.Throws<ArgumentException>(() => registry.Gauge("bad-name", "dash"));
        Assert.Throws<ArgumentException>(() => registry.Gauge("g", "reserved label", "__x"));
        Assert.Throws<ArgumentException>(() => registry.Histogram("h", "le is reserved", [1], "le"));
        Assert.Throws<ArgumentException>(() => registry.Histogram("h2", "unsorted", [2, 1]));
        registry.Gauge("twice", "x");
        Assert.Throws<InvalidOperationException>(() => registry.Gauge("twice", "x"));
        Assert.Throws<ArgumentOutOfRangeException>(() => registry.Counter("c_total", "x").Inc(-1));
        Assert.Throws<ArgumentException>(() => registry.Gauge("labelled", "x", "a").WithLabels());
    }

    [Fact]
    public async Task Concurrent_increments_are_not_lost()
    {
        var registry = new MetricsRegistry();
        var counter = registry.Counter("c_total", "x");
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 100_000; i++) counter.Inc(0.5);
        })));
        Assert.Equal(200_000, counter.WithLabels().Value);
    }

    [ToolFact("promtool")]
    public async Task Promtool_accepts_the_daemon_exposition()
    {
        var registry = new MetricsRegistry();
        ProcessMetrics.Register(registry, MetricsRegistry.Prefix);
        registry.Counter("continual_trainer_runs_total", "Training runs by result", "result").WithLabels("rejected").Inc();
        registry.Gauge("continual_trainer_general_perplexity", "General held-out perplexity", "model_version", "phase")
            .WithLabels("v1", "after").Set(double.PositiveInfinity);
        registry.Gauge("continual_trainer_label_escapes", "Escapes \\ and\nnewlines", "file").WithLabels("a\"b\\c\nd").Set(double.NaN);
        var histogram = registry.Histogram("continual_trainer_run_duration_seconds", "Run wall time in seconds", [60, 600, 3600]);
        histogram.Observe(30);
        histogram.Observe(7200);

        var (exitCode, output) = await Promtool.RunAsync(registry.Render(), "check", "metrics");

        Assert.True(exitCode == 0, output);
        Assert.Equal("", output);
    }
}
