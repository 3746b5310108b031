using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Engine.Training;

/// <summary>
/// How a list of examples is packed for one forward/backward pass: row b is example b, right-padded. Only the
/// positions up to the one predicting the row's last decision token are run (later ones cannot change the loss).
/// In frozen mode row b's first <see cref="ContextLengths"/>[b] = f - 1 tokens form the context batch and the
/// rest the trained batch; in full mode the context is empty.
/// </summary>
internal sealed class BatchPlan
{
    private BatchPlan(int[] contextLengths, int[] trainedLengths, int[] logitRows, int[] targets)
    {
        ContextLengths = contextLengths;
        TrainedLengths = trainedLengths;
        LogitRows = logitRows;
        Targets = targets;
    }

    /// <summary>Context positions of each row (frozen mode), 0 in full mode.</summary>
    public int[] ContextLengths { get; }

    /// <summary>Positions of each row run with gradient.</summary>
    public int[] TrainedLengths { get; }

    /// <summary>Flat indices b*T + t (T = <see cref="TrainedWidth"/>) of the positions in the loss.</summary>
    public int[] LogitRows { get; }

    /// <summary>The token each logits row predicts.</summary>
    public int[] Targets { get; }

    public int Rows => TrainedLengths.Length;

    public int ContextWidth => ContextLengths.Max();

    public int TrainedWidth => TrainedLengths.Max();

    /// <summary>Positions per row in context plus trained part: the key store each row needs.</summary>
    public int KeyWidth => Enumerable.Range(0, Rows).Max(b => ContextLengths[b] + TrainedLengths[b]);

    public static BatchPlan Create(IReadOnlyList<TrainingExample> examples, TrainingMode mode)
    {
        if (examples.Count == 0) throw new ArgumentException("a micro-batch needs at least one example");
        var count = examples.Count;
        int[] context = new int[count], trained = new int[count];
        for (var b = 0; b < count; b++)
        {
            var e = examples[b];
            if (e.DecisionCount == 0)
                throw new ArgumentException($"example {b} of the micro-batch has no decision token after its first token: nothing to train on");
            context[b] = mode == TrainingMode.Frozen ? e.FirstDecision - 1 : 0;
            trained[b] = e.LastDecision - context[b];
        }
        var width = trained.Max();
        var rows = new List<int>();
        var targets = new List<int>();
        for (var b = 0; b < count; b++)
        {
            var e = examples[b];
            for (var t = context[b]; t < context[b] + trained[b]; t++)
            {
                if (!e.LossMask[t + 1]) continue;
                rows.Add(b * width + t - context[b]);
                targets.Add(e.Tokens[t + 1]);
            }
        }
        return new BatchPlan(context, trained, [.. rows], [.. targets]);
    }

    /// <summary>Fills <paramref name="batch"/> with each row's context tokens.</summary>
    public void FillContext(TokenBatch batch, IReadOnlyList<TrainingExample> examples)
    {
        batch.Clear();
        for (var b = 0; b < Rows; b++) batch.SetRow(b, examples[b].Tokens.AsSpan(0, ContextLengths[b]));
    }

    /// <summary>Fills <paramref name="batch"/> with each row's trained tokens.</summary>
    public void FillTrained(TokenBatch batch, IReadOnlyList<TrainingExample> examples)
    {
        batch.Clear();
        for (var b = 0; b < Rows; b++) batch.SetRow(b, examples[b].Tokens.AsSpan(ContextLengths[b], TrainedLengths[b]));
    }
}
