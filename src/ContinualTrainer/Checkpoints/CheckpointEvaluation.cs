using System.Collections.Immutable;

namespace ContinualTrainer.Checkpoints;

/// <summary>
/// An evaluation of a model, as recorded in a manifest: the general perplexity (what retention ranks by and
/// the post-publish check re-measures) plus any other named figures, kept sorted by name.
/// </summary>
public sealed record CheckpointEvaluation
{
    public required double GeneralPerplexity { get; init; }

    /// <summary>Other figures by name (domain perplexity, per-category scores, ...), always in ordinal order.</summary>
    public ImmutableSortedDictionary<string, double> Metrics
    {
        get;
        init => field = value.WithComparers(StringComparer.Ordinal);
    } = ImmutableSortedDictionary<string, double>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>Null when every value is a finite number and the perplexity is at least 1; otherwise what is wrong.</summary>
    public string? Problem()
    {
        if (!double.IsFinite(GeneralPerplexity) || GeneralPerplexity < 1)
            return $"general_perplexity {GeneralPerplexity} is not a perplexity (a finite number >= 1)";
        foreach (var (name, value) in Metrics)
        {
            if (string.IsNullOrEmpty(name) || name.Length > 128 || name.Any(char.IsControl)) return $"metric name '{VersionName.Printable(name)}' is empty, too long or has control characters";
            if (!double.IsFinite(value)) return $"metric {name} = {value} is not a finite number";
        }
        return null;
    }
}
