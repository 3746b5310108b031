using ContinualTrainer.Engine.Kernels;
using ContinualTrainer.Engine.Lora;
using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Engine.Training;

/// <summary>
/// Caches the reference side of the functional anchor: the run's starting model runs forward once over the
/// examples to anchor (the replay windows), and every decision row keeps its top-k next tokens, their
/// log-probabilities and the log of the remaining mass (<see cref="ReferenceDistribution"/>). During training a
/// <see cref="TrainingSession"/> with <see cref="TrainingSession.AnchorWeight"/> &gt; 0 adds weight · KL(p_ref ‖ p_model)
/// over those k + 1 buckets to the loss of every anchored row (<see cref="AnchorKernel"/>), so the anchor costs no
/// forward pass of the reference model while training.
/// </summary>
public static unsafe class FunctionalAnchor
{
    /// <summary>Top-k kept per row unless told otherwise.</summary>
    public const int DefaultTopK = 16;

    /// <summary>
    /// The examples with their <see cref="TrainingExample.Reference"/> set from the current model (with
    /// <paramref name="adapters"/> applied when given), evaluated <paramref name="batchSize"/> at a time.
    /// </summary>
    public static List<TrainingExample> Attach(TransformerModel model, LoraAdapters? adapters, IReadOnlyList<TrainingExample> examples,
        int topK = DefaultTopK, int batchSize = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var vocab = model.Config.VocabSize;
        if (topK < 1 || topK >= vocab) throw new ArgumentOutOfRangeException(nameof(topK), topK, $"the anchor's top-k must be in [1, {vocab - 1}] for a vocabulary of {vocab}");
        var anchored = new List<TrainingExample>(examples.Count);
        if (examples.Count == 0) return anchored;
        // one arena for every chunk: in full mode a row runs up to the position predicting its last decision
        var width = examples.Max(e => e.LastDecision);
        using var acts = model.CreateActivations(Math.Min(batchSize, examples.Count), Math.Max(1, width));
        using var lora = adapters?.CreateActivations(Math.Min(batchSize, examples.Count), Math.Max(1, width), training: false);
        for (var first = 0; first < examples.Count; first += batchSize)
        {
            var chunk = examples.Skip(first).Take(batchSize).ToArray();
            var plan = BatchPlan.Create(chunk, TrainingMode.Full);
            var batch = new TokenBatch(plan.Rows, plan.TrainedWidth);
            plan.FillTrained(batch, chunk);
            var rows = plan.LogitRows.Length;
            model.Forward(acts, batch, plan.LogitRows, lora: lora);
            var losses = new float[rows];      // (P)
            var logSumExp = new float[rows];   // (P)
            var ids = new int[rows * topK];    // (P, K)
            var logProbs = new float[rows * topK]; // (P, K)
            var logRest = new float[rows];     // (P)
            fixed (float* pl = losses, pe = logSumExp, pp = logProbs, pr = logRest)
            fixed (int* pi = ids)
            {
                CrossEntropy.Forward(pl, pe, acts.Logits, plan.Targets, rows, vocab);
                AnchorKernel.TopK(pi, pp, pr, acts.Logits, pe, rows, vocab, topK);
            }
            var row = 0;
            foreach (var example in chunk)
            {
                var count = example.DecisionCount;
                anchored.Add(example with
                {
                    Reference = new ReferenceDistribution(topK, ids[(row * topK)..((row + count) * topK)],
                        logProbs[(row * topK)..((row + count) * topK)], logRest[row..(row + count)]),
                });
                row += count;
            }
        }
        return anchored;
    }
}
