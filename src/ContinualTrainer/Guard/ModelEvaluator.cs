using ContinualTrainer.Engine.Eval;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Tokenization;

namespace ContinualTrainer.Guard;

/// <summary>
/// Measures a model on <see cref="EvaluationData"/>: general perplexity (the forgetting signal), the decision loss
/// on the run's validation split (the learning signal), the loss on earlier runs' validation splits (past
/// learning) and probe accuracy per category. The same code and data run before and after training.
/// </summary>
public static class ModelEvaluator
{
    public const int BatchSize = 4;

    public static EvaluationReport Evaluate(TransformerModel model, BpeTokenizer tokenizer, EvaluationData data, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var perplexity = data.HeldOutTokens.Length >= 2
            ? Perplexity.Evaluate(model, data.HeldOutTokens, Math.Min(data.PerplexityWindow, model.Config.MaxPositionEmbeddings), BatchSize).Perplexity
            : throw new GuardException("the held-out general text has fewer than 2 tokens: set Dataset:GeneralCorpus or Guard:GeneralHoldout");
        var decision = MaskedLoss.Evaluate(model, data.Validation, BatchSize, cancellationToken: cancellationToken).Mean;
        double? past = data.Past.Count > 0 ? MaskedLoss.Evaluate(model, data.Past, BatchSize, cancellationToken: cancellationToken).Mean : null;
        var probes = data.Probes.Count > 0
            ? ProbeScorer.Score(model, tokenizer, data.Probes, cancellationToken)
            : new Dictionary<string, double>();
        return new EvaluationReport(perplexity, decision, past, probes);
    }
}
