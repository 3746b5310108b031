namespace ContinualTrainer.Engine.Training;

/// <summary>
/// The functional anchor's cached reference for one example: for each of its decision tokens, in order, the
/// starting model's <see cref="TopK"/> most likely next tokens with their log-probabilities and the log of the
/// probability left to every other token. Built once per run by <see cref="FunctionalAnchor.Attach"/>.
/// </summary>
public sealed class ReferenceDistribution
{
    /// <param name="topK">Tokens kept per row.</param>
    /// <param name="ids">(rows, topK) token ids.</param>
    /// <param name="logProbs">(rows, topK) their log-probabilities.</param>
    /// <param name="logRest">(rows) log of the remaining mass (−∞ when none is left).</param>
    public ReferenceDistribution(int topK, int[] ids, float[] logProbs, float[] logRest)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(logProbs);
        ArgumentNullException.ThrowIfNull(logRest);
        if (ids.Length != (long)logRest.Length * topK || logProbs.Length != ids.Length)
            throw new ArgumentException($"a reference distribution of {logRest.Length} rows and top-{topK} needs {logRest.Length * topK} ids and log-probabilities, got {ids.Length} and {logProbs.Length}");
        TopK = topK;
        Ids = ids;
        LogProbs = logProbs;
        LogRest = logRest;
    }

    public int TopK { get; }

    /// <summary>Decision tokens covered.</summary>
    public int Rows => LogRest.Length;

    /// <summary>(Rows, TopK) token ids.</summary>
    public int[] Ids { get; }

    /// <summary>(Rows, TopK) log-probabilities of <see cref="Ids"/>.</summary>
    public float[] LogProbs { get; }

    /// <summary>(Rows) log of the probability of every token outside the row's top-k.</summary>
    public float[] LogRest { get; }
}
