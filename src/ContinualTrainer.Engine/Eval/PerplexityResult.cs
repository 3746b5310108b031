namespace ContinualTrainer.Engine.Eval;

/// <summary>The outcome of a perplexity evaluation: how many tokens were predicted and their mean negative log-likelihood (nats).</summary>
public sealed record PerplexityResult(long TokensPredicted, double MeanNll)
{
    /// <summary>exp(mean NLL).</summary>
    public double Perplexity => Math.Exp(MeanNll);
}
