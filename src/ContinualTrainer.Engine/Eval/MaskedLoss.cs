using ContinualTrainer.Engine.Kernels;
using ContinualTrainer.Engine.Lora;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Training;

namespace ContinualTrainer.Engine.Eval;

/// <summary>
/// The masked decision-token loss of examples without gradients (validation and the guard's learning signal):
/// the mean next-token cross-entropy over every decision token of every example, with logits computed only at
/// the positions that predict one. Arenas are allocated once per call and reused across batches.
/// </summary>
public static unsafe class MaskedLoss
{
    /// <returns>The mean loss and the number of decision tokens it averages.</returns>
    public static (double Mean, long Tokens) Evaluate(TransformerModel model, IReadOnlyList<TrainingExample> examples, int batchSize = 4,
        LoraAdapters? adapters = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var chunks = examples.Where(e => e.DecisionCount > 0).Chunk(batchSize).ToList();
        if (chunks.Count == 0) return (double.NaN, 0);
        var rows = chunks.Max(c => c.Length);
        var width = chunks.Max(c => c.Max(e => e.Tokens.Length));
        var maxLogits = chunks.Max(c => c.Sum(e => e.DecisionCount));
        using var acts = model.CreateActivations(rows, width, maxLogitRows: maxLogits);
        using var lora = adapters?.CreateActivations(rows, width, training: false);
        var losses = new float[maxLogits];
        var logSumExp = new float[maxLogits];
        double total = 0;
        long count = 0;
        foreach (var chunk in chunks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var plan = BatchPlan.Create(chunk, TrainingMode.Full);
            var batch = new TokenBatch(plan.Rows, plan.TrainedWidth);
            plan.FillTrained(batch, chunk);
            model.Forward(acts, batch, plan.LogitRows, lora: lora);
            var n = plan.LogitRows.Length;
            fixed (float* l = losses)
            fixed (float* lse = logSumExp)
            {
                CrossEntropy.Forward(l, lse, acts.Logits, plan.Targets, n, model.Config.VocabSize);
            }
            for (var i = 0; i < n; i++) total += losses[i];
            count += n;
        }
        return (total / count, count);
    }
}
