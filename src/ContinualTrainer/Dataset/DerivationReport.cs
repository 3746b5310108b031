namespace ContinualTrainer.Dataset;

/// <summary>What one <see cref="ExampleDeriver.DeriveAsync(TokenizerProfile, CancellationToken)"/> did.</summary>
/// <param name="Conversations">Conversations (re)derived.</param>
/// <param name="ExamplesAdded">Examples stored.</param>
/// <param name="ExamplesRemoved">Examples a changed conversation no longer gives (deleted, or retired when a snapshot refers to them).</param>
/// <param name="Duplicates">Examples dropped because an identical one is already stored.</param>
/// <param name="TooShort">Decisions dropped for being shorter than the minimum.</param>
/// <param name="Truncated">Decisions cut at the maximum.</param>
/// <param name="Unreadable">Conversations whose stored messages could not be read (they give no examples).</param>
/// <param name="Watermark">The highest conversation seq now derived.</param>
public sealed record DerivationReport(
    int Conversations,
    int ExamplesAdded,
    int ExamplesRemoved,
    int Duplicates,
    int TooShort,
    int Truncated,
    int Unreadable,
    long Watermark)
{
    public DerivationReport Add(DerivationReport other) => new(
        Conversations + other.Conversations, ExamplesAdded + other.ExamplesAdded, ExamplesRemoved + other.ExamplesRemoved,
        Duplicates + other.Duplicates, TooShort + other.TooShort, Truncated + other.Truncated, Unreadable + other.Unreadable,
        Math.Max(Watermark, other.Watermark));
}
