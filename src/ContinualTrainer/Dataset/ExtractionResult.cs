namespace ContinualTrainer.Dataset;

/// <summary>What <see cref="ExampleExtractor.Extract"/> made of one conversation.</summary>
/// <param name="Examples">The examples, in turn order.</param>
/// <param name="Decisions">Assistant turns seen (each one a decision, kept or not).</param>
/// <param name="TooShort">Decisions dropped for being shorter than the minimum.</param>
/// <param name="Truncated">Decisions kept but cut at the maximum.</param>
public sealed record ExtractionResult(IReadOnlyList<DerivedExample> Examples, int Decisions, int TooShort, int Truncated);
