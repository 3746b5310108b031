using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Training;

/// <summary>
/// The functional anchor's kernels: KL(p_ref ‖ p_model) between a cached reference distribution and the model's
/// next-token distribution, both collapsed onto k + 1 buckets (the reference's top-k tokens and "the rest").
/// With P_j / R the reference's top-k / rest probabilities, p_j the model's softmax and r = Σ_{v ∉ top-k} p_v:
/// <code>
/// KL = Σ_k P_k (log P_k − log p_k) + R (log R − log r)
/// dKL/dz_j = p_j − q_j,  q_j = P_j for j in the top-k,  q_j = p_j · R / r otherwise
/// </code>
/// (from d log p_k/dz_j = δ_kj − p_j and d log r/dz_j = [j ∉ top-k] p_j / r − p_j, with Σ_k P_k + R = 1).
/// The rest mass r is summed over the non-top-k tokens directly (no 1 − Σ p_k cancellation).
/// </summary>
public static unsafe class AnchorKernel
{
    /// <summary>
    /// The reference side: for each row, its <paramref name="k"/> most likely tokens (ties to the lower id) with
    /// their log-probabilities, in decreasing order, and the log of the remaining mass (−∞ when none is left).
    /// </summary>
    public static void TopK(
        int* ids,                   // (N, K) written
        float* logProbs,            // (N, K) written
        float* logRest,             // (N) written
        float* logits,              // (N, V) unchanged on return
        float* logSumExp,           // (N)
        int n, int vocab, int k)
    {
        CheckK(k, vocab);
        Parallelism.ForRanges(n, vocab, (start, end) =>
        {
            for (var i = start; i < end; i++)
            {
                var row = logits + (long)i * vocab;
                var rowIds = ids + (long)i * k;
                var rowLogProbs = logProbs + (long)i * k;
                var filled = 0;
                for (var v = 0; v < vocab; v++)
                {
                    var x = row[v];
                    if (filled == k && !(x > row[rowIds[k - 1]])) continue;
                    var at = filled < k ? filled++ : k - 1;
                    while (at > 0 && x > row[rowIds[at - 1]])
                    {
                        rowIds[at] = rowIds[at - 1];
                        at--;
                    }
                    rowIds[at] = v;
                }
                for (var j = 0; j < k; j++) rowLogProbs[j] = row[rowIds[j]] - logSumExp[i];
                logRest[i] = (float)LogRestMass(row, rowIds, logSumExp[i], vocab, k);
            }
        });
    }

    /// <summary>KL(p_ref ‖ p_model) over the k + 1 buckets of each row with a non-zero weight (0 for the others).</summary>
    public static void Forward(
        float* kl,                  // (N) written
        float* logits,              // (N, V) unchanged on return
        float* logSumExp,           // (N)
        int* ids,                   // (N, K)
        float* refLogProbs,         // (N, K)
        float* refLogRest,          // (N)
        float* weights,             // (N)
        int n, int vocab, int k)
    {
        CheckK(k, vocab);
        CheckIds(ids, n, vocab, k);
        Parallelism.ForRanges(n, vocab, (start, end) =>
        {
            for (var i = start; i < end; i++)
            {
                if (weights[i] == 0f)
                {
                    kl[i] = 0f;
                    continue;
                }
                var row = logits + (long)i * vocab;
                var rowIds = ids + (long)i * k;
                var lse = logSumExp[i];
                double sum = 0;
                for (var j = 0; j < k; j++)
                {
                    var logP = (double)refLogProbs[(long)i * k + j];
                    sum += Math.Exp(logP) * (logP - (row[rowIds[j]] - lse));
                }
                var logR = (double)refLogRest[i];
                if (logR > double.NegativeInfinity) sum += Math.Exp(logR) * (logR - LogRestMass(row, rowIds, lse, vocab, k));
                kl[i] = (float)sum;
            }
        });
    }

    /// <summary>
    /// Cross-entropy plus weighted anchor gradient in one pass:
    /// dlogits = scale · (softmax(row) − onehot(target) + weight · (p − q)), q as in the class summary.
    /// A row with weight 0 gets exactly <see cref="CrossEntropy.Backward"/>'s gradient.
    /// </summary>
    public static void Backward(
        float* dlogits,             // (N, V) written; may be the logits buffer itself
        float* logits,              // (N, V)
        float* logSumExp,           // (N)
        ReadOnlySpan<int> targets,  // (N)
        int* ids,                   // (N, K)
        float* refLogProbs,         // (N, K)
        float* refLogRest,          // (N)
        float* weights,             // (N)
        float scale, int n, int vocab, int k)
    {
        CheckK(k, vocab);
        CheckTargets(targets, n, vocab);
        CheckIds(ids, n, vocab, k);
        fixed (int* target = targets)
        {
            var targetPointer = target;
            Parallelism.ForRanges(n, vocab, (start, end) =>
            {
                Span<float> top = stackalloc float[k];
                for (var i = start; i < end; i++)
                {
                    var row = logits + (long)i * vocab;
                    var drow = dlogits + (long)i * vocab;
                    var lse = logSumExp[i];
                    var rowTarget = targetPointer[i];
                    var w = weights[i];
                    if (w == 0f)
                    {
                        var pTarget = MathF.Exp(row[rowTarget] - lse);
                        VectorMath.ScaledExp(drow, row, vocab, lse, scale);
                        drow[rowTarget] = scale * (pTarget - 1f);
                        continue;
                    }
                    var rowIds = ids + (long)i * k;
                    for (var j = 0; j < k; j++) top[j] = MathF.Exp(row[rowIds[j]] - lse);
                    // the rest bucket: q_v = p_v·R/r, so its gradient is p_v·(1 + w·(1 − R/r)); r = 0 leaves p_v = 0 there
                    var logR = (double)refLogRest[i];
                    var logr = LogRestMass(row, rowIds, lse, vocab, k);
                    var ratio = logR == double.NegativeInfinity || logr == double.NegativeInfinity ? 0.0 : Math.Exp(logR - logr);
                    var restScale = (float)(scale * (1.0 + w * (1.0 - ratio)));
                    VectorMath.ScaledExp(drow, row, vocab, lse, restScale);
                    for (var j = 0; j < k; j++)
                    {
                        var p = top[j];
                        drow[rowIds[j]] = scale * (p + w * (p - MathF.Exp(refLogProbs[(long)i * k + j])));
                    }
                    drow[rowTarget] -= scale;
                }
            });
        }
    }

    /// <summary>The reference of <see cref="Backward"/>: the same formula per element, in double, from scratch.</summary>
    public static void BackwardNaive(float* dlogits, float* logits, float* logSumExp, ReadOnlySpan<int> targets, int* ids,
        float* refLogProbs, float* refLogRest, float* weights, float scale, int n, int vocab, int k)
    {
        CheckK(k, vocab);
        CheckTargets(targets, n, vocab);
        CheckIds(ids, n, vocab, k);
        var p = new double[vocab];
        var q = new double[vocab];
        for (var i = 0; i < n; i++)
        {
            var row = logits + (long)i * vocab;
            for (var v = 0; v < vocab; v++) p[v] = Math.Exp(row[v] - (double)logSumExp[i]);
            var inTop = new bool[vocab];
            for (var j = 0; j < k; j++) inTop[ids[(long)i * k + j]] = true;
            double r = 0;
            for (var v = 0; v < vocab; v++) if (!inTop[v]) r += p[v];
            var restReference = Math.Exp(refLogRest[i]);
            for (var v = 0; v < vocab; v++) q[v] = r > 0 && !inTop[v] ? p[v] * restReference / r : 0;
            for (var j = 0; j < k; j++) q[ids[(long)i * k + j]] = Math.Exp(refLogProbs[(long)i * k + j]);
            for (var v = 0; v < vocab; v++)
            {
                var ce = p[v] - (v == targets[i] ? 1 : 0);
                dlogits[(long)i * vocab + v] = (float)(scale * (ce + weights[i] * (p[v] - q[v])));
            }
        }
    }

    // log Σ_{v ∉ ids} exp(row[v] − lse): the top-k logits are masked to −∞ for the sum and restored.
    private static double LogRestMass(float* row, int* rowIds, float lse, int vocab, int k)
    {
        Span<float> saved = stackalloc float[k];
        for (var j = 0; j < k; j++)
        {
            saved[j] = row[rowIds[j]];
            row[rowIds[j]] = float.NegativeInfinity;
        }
        var rest = VectorMath.SumExp(row, vocab, lse);
        for (var j = k - 1; j >= 0; j--) row[rowIds[j]] = saved[j];
        return Math.Log(rest);
    }

    private static void CheckK(int k, int vocab)
    {
        if (k < 1 || k >= vocab) throw new ArgumentOutOfRangeException(nameof(k), k, $"the anchor's top-k must be in [1, {vocab - 1}] for a vocabulary of {vocab}");
    }

    private static void CheckIds(int* ids, int n, int vocab, int k)
    {
        for (long i = 0; i < (long)n * k; i++)
        {
            if ((uint)ids[i] >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(ids), $"anchor token {ids[i]} at row {i / k} is outside the vocabulary [0, {vocab})");
        }
    }

    private static void CheckTargets(ReadOnlySpan<int> targets, int n, int vocab)
    {
        if (targets.Length < n) throw new ArgumentException($"anchor cross-entropy: {targets.Length} targets for {n} rows");
        for (var i = 0; i < n; i++)
        {
            if ((uint)targets[i] >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(targets), $"cross-entropy target {targets[i]} at row {i} is outside the vocabulary [0, {vocab})");
        }
    }
}
