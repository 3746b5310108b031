namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// Settings of <see cref="BpeTrainer"/>: the size of the vocabulary to reach (256 byte tokens, the merged tokens
/// and the special tokens together), the special tokens appended after the merged ones, and the fewest
/// occurrences a pair needs to be merged (training stops earlier when no pair is that frequent).
/// </summary>
public sealed record BpeTrainerOptions(int VocabSize, IReadOnlyList<string> SpecialTokens, long MinPairCount = 2)
{
    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(SpecialTokens);
        if (VocabSize < BpeTrainer.ByteTokens + SpecialTokens.Count)
            throw new ArgumentOutOfRangeException(nameof(VocabSize), VocabSize,
                $"the vocabulary needs room for the {BpeTrainer.ByteTokens} byte tokens and {SpecialTokens.Count} special tokens");
        ArgumentOutOfRangeException.ThrowIfLessThan(MinPairCount, 1L, nameof(MinPairCount));
        if (SpecialTokens.Any(string.IsNullOrEmpty)) throw new ArgumentException("a special token is empty", nameof(SpecialTokens));
        if (SpecialTokens.Distinct(StringComparer.Ordinal).Count() != SpecialTokens.Count)
            throw new ArgumentException("the special tokens are not distinct", nameof(SpecialTokens));
    }
}
