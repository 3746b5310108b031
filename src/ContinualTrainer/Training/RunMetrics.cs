using ContinualTrainer.Metrics;

namespace ContinualTrainer.Training;

/// <summary>The training runs' instruments on <c>/metrics</c> (names the alert rules use).</summary>
public sealed class RunMetrics
{
    public RunMetrics(MetricsRegistry registry)
    {
        const string p = MetricsRegistry.Prefix;
        Runs = registry.Counter(p + "runs_total", "Training runs by result", "result");
        foreach (var result in new[] { "accepted", "rejected", "failed", "interrupted", "skipped" }) Runs.WithLabels(result);
        Duration = registry.Histogram(p + "run_duration_seconds", "Wall time of training runs in seconds", [60, 300, 900, 1800, 3600, 7200, 14400, 43200]);
        GeneralPerplexity = registry.Gauge(p + "general_perplexity", "Perplexity on the held-out general corpus, of the last run's model before and after training", "model_version", "phase");
        PerplexityRatio = registry.Gauge(p + "last_run_perplexity_ratio", "General perplexity after / before of the last evaluated run");
        MaxPerplexityIncrease = registry.Gauge(p + "guard_max_perplexity_increase", "The guard's largest accepted relative rise of general perplexity (Guard:MaxPerplexityIncrease)");
        DecisionLoss = registry.Gauge(p + "decision_validation_loss", "Mean decision-token loss on the last run's validation split", "phase");
        ProbeAccuracy = registry.Gauge(p + "probe_accuracy", "Probe accuracy of the last run's model by category", "category", "phase");
        TrainingLoss = registry.Gauge(p + "training_loss", "Training loss of the latest optimizer step");
        TokensPerSecond = registry.Gauge(p + "training_tokens_per_second", "Training throughput of the running or last run, all tokens of each batch counted");
        LastSuccess = registry.Gauge(p + "last_successful_run_timestamp_seconds", "Unix time of the last accepted run (0: none yet)");
        SchedulePeriod = registry.Gauge(p + "schedule_period_seconds", "Time between two scheduled runs (Schedule:Cron)");
        Displacement = registry.Gauge(p + "weight_displacement", "Relative displacement ||dW||/||W|| of the last accepted run, by module type", "module");
        EffectiveRank = registry.Gauge(p + "weight_change_effective_rank", "Effective rank (90% energy) of the last accepted run's weight change, by module type", "module");
        LastSuccess.Set(0);
    }

    public Counter Runs { get; }
    public Histogram Duration { get; }
    public Gauge GeneralPerplexity { get; }
    public Gauge PerplexityRatio { get; }
    public Gauge MaxPerplexityIncrease { get; }
    public Gauge DecisionLoss { get; }
    public Gauge ProbeAccuracy { get; }
    public Gauge TrainingLoss { get; }
    public Gauge TokensPerSecond { get; }
    public Gauge LastSuccess { get; }
    public Gauge SchedulePeriod { get; }
    public Gauge Displacement { get; }
    public Gauge EffectiveRank { get; }
}
