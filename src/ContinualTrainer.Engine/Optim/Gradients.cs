using System.Numerics.Tensors;
using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Optim;

/// <summary>
/// Operations on the gradients of an optimizer's parameters: zeroing, scaling, the global L2 norm and
/// PyTorch-style clipping (<c>torch.nn.utils.clip_grad_norm_</c>).
/// <para>
/// Gradient accumulation: call <see cref="Zero"/> before the first micro-batch; the backward pass adds (+=)
/// each micro-batch's gradient of its own mean loss into the gradient tensors; after the K-th micro-batch call
/// <see cref="AverageMicroBatches"/>(K), which scales the sum by 1/K, so that clipping and the step see the
/// mean gradient (equal to the full-batch gradient when the micro-batches weigh the same).
/// </para>
/// <para>
/// The norm is summed over fixed chunks of <see cref="NormChunk"/> floats (float32 within a chunk, double
/// across chunks, in parameter order), so it is bit-identical for any thread count.
/// </para>
/// </summary>
public static unsafe class Gradients
{
    /// <summary>Floats per partial sum of the norm.</summary>
    public const int NormChunk = 1 << 12;

    /// <summary>Added to the norm in the clipping coefficient, as PyTorch does.</summary>
    public const double ClipEpsilon = 1e-6;

    /// <summary>Sets every gradient to zero.</summary>
    public static void Zero(IReadOnlyList<OptimizerParameter> parameters)
    {
        foreach (var p in parameters) p.GradSpan.Clear();
    }

    /// <summary>Multiplies every gradient by <paramref name="factor"/>.</summary>
    public static void Scale(IReadOnlyList<OptimizerParameter> parameters, float factor)
    {
        foreach (var p in parameters)
        {
            var blocks = (int)((p.Length + NormChunk - 1) / NormChunk);
            Parallelism.ForRanges(blocks, NormChunk, (first, last) =>
            {
                var start = (long)first * NormChunk;
                var span = new Span<float>(p.Grad + start, (int)(Math.Min(p.Length, (long)last * NormChunk) - start));
                TensorPrimitives.Multiply(span, factor, span);
            });
        }
    }

    /// <summary>Turns the sum of <paramref name="microBatches"/> accumulated micro-batch gradients into their mean.</summary>
    public static void AverageMicroBatches(IReadOnlyList<OptimizerParameter> parameters, int microBatches)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(microBatches, 1);
        if (microBatches > 1) Scale(parameters, 1f / microBatches);
    }

    /// <summary>The L2 norm of all gradients taken as one vector.</summary>
    public static double GlobalNorm(IReadOnlyList<OptimizerParameter> parameters)
    {
        var chunks = new List<(OptimizerParameter Parameter, long Start, int Length)>();
        foreach (var p in parameters)
        {
            for (long start = 0; start < p.Length; start += NormChunk) chunks.Add((p, start, (int)Math.Min(NormChunk, p.Length - start)));
        }
        var partial = new double[chunks.Count];
        Parallelism.ForRanges(chunks.Count, NormChunk, (first, last) =>
        {
            for (var i = first; i < last; i++)
            {
                var (p, start, length) = chunks[i];
                partial[i] = TensorPrimitives.SumOfSquares(new ReadOnlySpan<float>(p.Grad + start, length));
            }
        });
        double sum = 0;
        foreach (var s in partial) sum += s;
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// Clips the global gradient norm to <paramref name="maxNorm"/> like PyTorch's clip_grad_norm_: with
    /// coef = maxNorm / (norm + 1e-6), every gradient is multiplied by coef when coef &lt; 1. Returns the norm
    /// before clipping. A non-finite norm leaves the gradients untouched (the caller should skip the step).
    /// </summary>
    public static double ClipGlobalNorm(IReadOnlyList<OptimizerParameter> parameters, double maxNorm)
    {
        if (!(maxNorm > 0 && double.IsFinite(maxNorm))) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "the clipping norm must be finite and > 0");
        var norm = GlobalNorm(parameters);
        if (!double.IsFinite(norm)) return norm;
        var coefficient = maxNorm / (norm + ClipEpsilon);
        if (coefficient < 1) Scale(parameters, (float)coefficient);
        return norm;
    }
}
