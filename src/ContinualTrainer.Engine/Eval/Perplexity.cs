using ContinualTrainer.Engine.Kernels;
using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Engine.Eval;

/// <summary>
/// Perplexity of a token sequence as the parity fixtures define it: the sequence is cut into consecutive
/// windows of <c>window</c> tokens (the last may be shorter), each window is an independent sequence whose
/// every token but the first is predicted from the ones before it, and the result is the mean negative
/// log-likelihood over all predictions. Windows are evaluated <c>batchSize</c> at a time, logits only at
/// the predicting positions.
/// </summary>
public static unsafe class Perplexity
{
    public static PerplexityResult Evaluate(TransformerModel model, ReadOnlySpan<int> tokens, int window, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var windows = (tokens.Length + window - 1) / window;
        var rowsPerBatch = batchSize * (window - 1);
        using var acts = model.CreateActivations(batchSize, window, maxLogitRows: rowsPerBatch);
        var batch = new TokenBatch(batchSize, window);
        var logitRows = new int[rowsPerBatch];
        var targets = new int[rowsPerBatch];
        var losses = new float[rowsPerBatch];
        var lse = new float[rowsPerBatch];

        double totalNll = 0;
        long predicted = 0;
        for (var first = 0; first < windows; first += batchSize)
        {
            batch.Clear();
            var count = 0;
            for (var r = 0; r < batchSize && first + r < windows; r++)
            {
                var start = (first + r) * window;
                var ids = tokens.Slice(start, Math.Min(window, tokens.Length - start));
                batch.SetRow(r, ids);
                for (var t = 0; t + 1 < ids.Length; t++)
                {
                    logitRows[count] = r * window + t;
                    targets[count] = ids[t + 1];
                    count++;
                }
            }
            if (count == 0) continue;
            model.Forward(acts, batch, logitRows.AsSpan(0, count));
            fixed (float* pl = losses, pe = lse)
                CrossEntropy.Forward(pl, pe, acts.Logits, targets.AsSpan(0, count), count, model.Config.VocabSize);
            for (var i = 0; i < count; i++) totalNll += losses[i];
            predicted += count;
        }
        if (predicted == 0) throw new ArgumentException($"perplexity needs at least 2 tokens; the text has {tokens.Length}");
        return new PerplexityResult(predicted, totalNll / predicted);
    }
}
