using System.Numerics.Tensors;

namespace ContinualTrainer.Engine.Kernels;

/// <summary>
/// Cross-entropy of each logits row against its target: loss = logsumexp(row) - row[target], computed
/// in float32 with the row maximum subtracted (log-softmax of the target). The log-sum-exp of every
/// row is kept: the backward pass rebuilds the softmax from it: dlogits = scale * (softmax(row) - onehot(target)),
/// where scale is the gradient of the total loss with respect to each row's loss (1/count for a mean).
/// </summary>
public static unsafe class CrossEntropy
{
    public static void Forward(
        float* losses,              // (N)
        float* logSumExp,           // (N)
        float* logits,              // (N, V)
        ReadOnlySpan<int> targets,  // (N)
        int n, int vocab)
    {
        CheckTargets(targets, n, vocab);
        fixed (int* target = targets)
        {
            var targetPointer = target;
            Parallelism.ForRanges(n, vocab, (start, end) =>
            {
                for (var i = start; i < end; i++)
                {
                    var row = logits + (long)i * vocab;
                    var max = TensorPrimitives.Max(new ReadOnlySpan<float>(row, vocab));
                    var lse = max + (float)Math.Log(VectorMath.SumExp(row, vocab, max));
                    logSumExp[i] = lse;
                    losses[i] = lse - row[targetPointer[i]];
                }
            });
        }
    }

    /// <summary>The reference: scalar loops, accumulated in double.</summary>
    public static void ForwardNaive(float* losses, float* logSumExp, float* logits, ReadOnlySpan<int> targets, int n, int vocab)
    {
        CheckTargets(targets, n, vocab);
        for (var i = 0; i < n; i++)
        {
            var row = logits + (long)i * vocab;
            var max = double.NegativeInfinity;
            for (var v = 0; v < vocab; v++) max = Math.Max(max, row[v]);
            double sum = 0;
            for (var v = 0; v < vocab; v++) sum += Math.Exp(row[v] - max);
            var lse = max + Math.Log(sum);
            logSumExp[i] = (float)lse;
            losses[i] = (float)(lse - row[targets[i]]);
        }
    }

    public static void Backward(
        float* dlogits,             // (N, V) written; may be the logits buffer itself
        float* logits,              // (N, V)
        float* logSumExp,           // (N)
        ReadOnlySpan<int> targets,  // (N)
        float scale, int n, int vocab)
    {
        CheckTargets(targets, n, vocab);
        fixed (int* target = targets)
        {
            var targetPointer = target;
            Parallelism.ForRanges(n, vocab, (start, end) =>
            {
                for (var i = start; i < end; i++)
                {
                    var row = logits + (long)i * vocab;
                    var drow = dlogits + (long)i * vocab;
                    var lse = logSumExp[i];
                    var target = targetPointer[i];
                    var correct = row[target];
                    VectorMath.ScaledExp(drow, row, vocab, lse, scale);
                    drow[target] = scale * (MathF.Exp(correct - lse) - 1f);
                }
            });
        }
    }

    /// <summary>The reference: scalar loops in double.</summary>
    public static void BackwardNaive(float* dlogits, float* logits, float* logSumExp, ReadOnlySpan<int> targets, float scale, int n, int vocab)
    {
        CheckTargets(targets, n, vocab);
        for (var i = 0; i < n; i++)
        for (var v = 0; v < vocab; v++)
        {
            var p = Math.Exp(logits[(long)i * vocab + v] - (double)logSumExp[i]);
            dlogits[(long)i * vocab + v] = (float)(scale * (p - (v == targets[i] ? 1 : 0)));
        }
    }

    private static void CheckTargets(ReadOnlySpan<int> targets, int n, int vocab)
    {
        if (targets.Length < n) throw new ArgumentException($"cross-entropy: {targets.Length} targets for {n} rows");
        for (var i = 0; i < n; i++)
        {
            if ((uint)targets[i] >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(targets), $"cross-entropy target {targets[i]} at row {i} is outside the vocabulary [0, {vocab})");
        }
    }
}
