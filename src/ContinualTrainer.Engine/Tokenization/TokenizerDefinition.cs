namespace ContinualTrainer.Engine.Tokenization;

/// <summary>The parts of a <c>tokenizer.json</c> that <see cref="BpeTokenizer"/> is assembled from.</summary>
internal sealed record TokenizerDefinition(
    BpeModel Model,
    TextNormalizer Normalizer,
    PreTokenizer PreTokenizer,
    IReadOnlyList<AddedToken> AddedTokens,
    string? UnkToken);
