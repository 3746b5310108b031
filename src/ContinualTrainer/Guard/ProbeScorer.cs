using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Tokenization;

namespace ContinualTrainer.Guard;

/// <summary>
/// Answers every probe by greedy decoding (KV-cached) and scores it by its match rule; accuracy per category.
/// Run identically before and after training, so the two are comparable.
/// </summary>
public static class ProbeScorer
{
    /// <summary>New tokens allowed beyond the answer's own length.</summary>
    public const int ExtraTokens = 4;

    public static IReadOnlyDictionary<string, double> Score(TransformerModel model, BpeTokenizer tokenizer, IReadOnlyList<Probe> probes, CancellationToken cancellationToken)
    {
        var encoded = probes.Select(p => (Probe: p, Prompt: tokenizer.Encode(p.Prompt), AnswerTokens: tokenizer.Encode(" " + p.Answer.Trim()).Length)).ToList();
        var capacity = Math.Min(model.Config.MaxPositionEmbeddings, encoded.Select(e => e.Prompt.Length + e.AnswerTokens + ExtraTokens).DefaultIfEmpty(1).Max());
        using var decoder = new GreedyDecoder(model, capacity);
        var correct = new Dictionary<string, int>(StringComparer.Ordinal);
        var total = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (probe, prompt, answerTokens) in encoded)
        {
            cancellationToken.ThrowIfCancellationRequested();
            total[probe.Category] = total.GetValueOrDefault(probe.Category) + 1;
            if (prompt.Length == 0 || prompt.Length >= capacity) continue; // cannot be asked: counts as wrong
            var newTokens = Math.Min(answerTokens + ExtraTokens, capacity - prompt.Length);
            var continuation = tokenizer.Decode(decoder.Generate(prompt, newTokens, tokenizer.Special.EosId));
            if (IsCorrect(probe, continuation)) correct[probe.Category] = correct.GetValueOrDefault(probe.Category) + 1;
        }
        return total.ToDictionary(p => p.Key, p => (double)correct.GetValueOrDefault(p.Key) / p.Value, StringComparer.Ordinal);
    }

    public static bool IsCorrect(Probe probe, string continuation)
    {
        var answer = probe.Answer.Trim();
        return probe.Match switch
        {
            ProbeMatch.Exact => continuation.TrimStart().StartsWith(answer, StringComparison.Ordinal)
                && (continuation.TrimStart().Length == answer.Length || !char.IsLetterOrDigit(continuation.TrimStart()[answer.Length])),
            _ => continuation.Contains(answer, StringComparison.Ordinal),
        };
    }
}
