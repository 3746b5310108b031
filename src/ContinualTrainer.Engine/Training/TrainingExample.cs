namespace ContinualTrainer.Engine.Training;

/// <summary>
/// One training sequence: token ids and a per-token loss mask. <c>LossMask[t]</c> marks token t as a decision
/// token, predicted from the tokens before it (so position t - 1 is in the loss; the mask of token 0 is ignored:
/// nothing predicts it). A replay window of plain text is <see cref="LanguageModel"/>: every token after the first.
/// An example with a <see cref="Reference"/> is anchored: the functional anchor pulls its next-token distributions
/// toward the cached ones.
/// </summary>
public sealed record TrainingExample
{
    private readonly ReferenceDistribution? reference;

    public TrainingExample(IReadOnlyList<int> tokens, IReadOnlyList<bool> lossMask)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(lossMask);
        if (tokens.Count != lossMask.Count)
            throw new ArgumentException($"a training example has {tokens.Count} tokens but a loss mask of {lossMask.Count}");
        Tokens = [.. tokens];
        LossMask = [.. lossMask];
        FirstDecision = -1;
        for (var t = 1; t < LossMask.Length; t++)
        {
            if (!LossMask[t]) continue;
            if (FirstDecision < 0) FirstDecision = t;
            LastDecision = t;
            DecisionCount++;
        }
    }

    public int[] Tokens { get; }

    public bool[] LossMask { get; }

    /// <summary>The first token (index ≥ 1) in the loss, or -1 when none is.</summary>
    public int FirstDecision { get; }

    /// <summary>The last token in the loss (0 when none is).</summary>
    public int LastDecision { get; }

    /// <summary>Tokens in the loss (the mask of token 0 does not count).</summary>
    public int DecisionCount { get; }

    /// <summary>The starting model's distributions at the decision tokens (one row each), or null when not anchored.</summary>
    public ReferenceDistribution? Reference
    {
        get => reference;
        init
        {
            if (value is not null && value.Rows != DecisionCount)
                throw new ArgumentException($"a reference distribution of {value.Rows} rows for an example of {DecisionCount} decision tokens");
            reference = value;
        }
    }

    /// <summary>Plain language modelling: every token but the first is in the loss.</summary>
    public static TrainingExample LanguageModel(IReadOnlyList<int> tokens) =>
        new(tokens, [.. Enumerable.Range(0, tokens.Count).Select(t => t > 0)]);

    /// <summary>Tokens [start, start + length) of each span are the decision tokens.</summary>
    public static TrainingExample WithDecisions(IReadOnlyList<int> tokens, IEnumerable<(int Start, int Length)> spans)
    {
        var mask = new bool[tokens.Count];
        foreach (var (start, length) in spans)
        {
            if (start < 0 || length < 0 || start + length > tokens.Count)
                throw new ArgumentOutOfRangeException(nameof(spans), $"decision span [{start}, {start + length}) is outside the {tokens.Count} tokens");
            mask.AsSpan(start, length).Fill(true);
        }
        return new TrainingExample(tokens, mask);
    }
}
