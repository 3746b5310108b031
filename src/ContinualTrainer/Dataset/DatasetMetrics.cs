using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Metrics;

namespace ContinualTrainer.Dataset;

/// <summary>
/// The dataset figures on <c>/metrics</c>, set from the latest <see cref="DatasetStats"/>: examples by category,
/// the distinct-bigram ratio and category entropy of the decisions, and the examples waiting for an accepted
/// training run (the TrainingStalled alert watches that one).
/// </summary>
public sealed class DatasetMetrics
{
    private readonly Gauge examples;
    private readonly Gauge distinct2;
    private readonly Gauge entropy;
    private readonly Gauge waiting;
    private readonly Gauge tokens;

    public DatasetMetrics(MetricsRegistry registry)
    {
        const string P = MetricsRegistry.Prefix;
        examples = registry.Gauge(P + "examples", "Decision examples for the current model's tokenizer, by conversation category", "category");
        foreach (var category in Enum.GetValues<ConversationCategory>()) examples.WithLabels(category.ToName());
        distinct2 = registry.Gauge(P + "dataset_distinct_2", "Distinct word bigrams over all word bigrams of the examples' decision texts");
        entropy = registry.Gauge(P + "dataset_category_entropy_bits", "Shannon entropy in bits of the examples' category distribution");
        waiting = registry.Gauge(P + "examples_waiting", "Decision examples not yet in an accepted training run");
        tokens = registry.Gauge(P + "example_tokens", "Tokens of the decision examples, by part (decision: trained on; context: frozen)", "part");
    }

    public void Update(DatasetStats stats)
    {
        foreach (var (category, count) in stats.ByCategory) examples.WithLabels(category).Set(count);
        distinct2.Set(stats.Distinct2);
        entropy.Set(stats.CategoryEntropy);
        waiting.Set(stats.ExamplesWaiting);
        tokens.WithLabels("decision").Set(stats.DecisionTokens);
        tokens.WithLabels("context").Set(stats.ContextTokens);
    }

    /// <summary>The status line's part for the examples, e.g. <c>1,234 examples</c>.</summary>
    public static string StatusFact(DatasetStats stats) =>
        stats.Examples.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + (stats.Examples == 1 ? " example" : " examples");
}
