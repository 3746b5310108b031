namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// A byte-level BPE vocabulary learned by <see cref="BpeTrainer"/>: ids 0..255 are the bytes (id = byte value),
/// then the merged tokens in the order they were learned, then the special tokens. Token strings are in GPT-2's
/// byte-level symbols (a space is <c>Ġ</c>), as <c>tokenizer.json</c> stores them; special tokens are their text.
/// </summary>
public sealed record TrainedBpe
{
    public TrainedBpe(IReadOnlyList<string> tokens, IReadOnlyList<BpeMerge> merges, int specialTokenCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens.Count, BpeTrainer.ByteTokens + specialTokenCount, nameof(tokens));
        Tokens = tokens;
        Merges = merges;
        SpecialTokenCount = specialTokenCount;
    }

    /// <summary>Every token by id.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>The merges by rank (the first learned has rank 0).</summary>
    public IReadOnlyList<BpeMerge> Merges { get; }

    /// <summary>How many tokens at the end of <see cref="Tokens"/> are special tokens.</summary>
    public int SpecialTokenCount { get; }

    public int VocabSize => Tokens.Count;

    /// <summary>The id of the first special token (the special tokens follow each other).</summary>
    public int FirstSpecialId => Tokens.Count - SpecialTokenCount;

    /// <summary>The id of special token <paramref name="content"/>; throws when it is not one.</summary>
    public int SpecialId(string content)
    {
        for (var id = FirstSpecialId; id < Tokens.Count; id++)
            if (Tokens[id] == content) return id;
        throw new KeyNotFoundException($"'{content}' is not a special token of this vocabulary");
    }
}
