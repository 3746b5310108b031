namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// What a <c>Split</c> pre-tokenizer does with the pieces its pattern matches, as in Hugging Face
/// tokenizers' <c>SplitDelimiterBehavior</c>.
/// </summary>
internal enum SplitBehavior
{
    /// <summary>Matches are dropped; the text between them is kept.</summary>
    Removed,

    /// <summary>Every match and every gap becomes its own piece.</summary>
    Isolated,

    /// <summary>A match is appended to the gap before it.</summary>
    MergedWithPrevious,

    /// <summary>A match is prepended to the gap after it.</summary>
    MergedWithNext,

    /// <summary>Consecutive matches are merged into one piece; gaps stay separate.</summary>
    Contiguous,
}
