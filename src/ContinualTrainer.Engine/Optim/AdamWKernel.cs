using System.Runtime.Intrinsics;
using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Optim;

/// <summary>
/// The AdamW update of one tensor in PyTorch's order and float32 precision:
/// p *= (1 - lr·wd); m = lerp(m, g, 1 - b1); v = b2·v + ((1 - b2)·g)·g;
/// denom = sqrt(v) / sqrt(1 - b2^t) + eps; p += (-lr / (1 - b1^t) · m) / denom.
/// Element-wise, so the result does not depend on the vector width or on how the range is split over threads.
/// </summary>
internal static unsafe class AdamWKernel
{
    /// <summary>Elements per unit of parallel work.</summary>
    private const int BlockSize = 1 << 12;

    public static void Update(
        float* param,       // (N) updated in place
        float* expAvg,      // (N) first moment, updated in place
        float* expAvgSq,    // (N) second moment, updated in place
        float* grad,        // (N)
        long n, AdamWScalars s)
    {
        var blocks = (int)((n + BlockSize - 1) / BlockSize);
        Parallelism.ForRanges(blocks, BlockSize, (first, last) =>
        {
            var start = (long)first * BlockSize;
            var end = Math.Min(n, (long)last * BlockSize);
            UpdateRange(param + start, expAvg + start, expAvgSq + start, grad + start, end - start, s);
        });
    }

    /// <summary>The reference: one scalar loop with the same float32 operations.</summary>
    public static void UpdateNaive(float* param, float* expAvg, float* expAvgSq, float* grad, long n, AdamWScalars s)
    {
        for (long i = 0; i < n; i++)
        {
            var g = grad[i];
            var p = param[i] * s.Decay;
            var m = expAvg[i];
            m = MathF.FusedMultiplyAdd(s.LerpCoefficient, g - m, s.LerpFromEnd ? g : m);
            var v = expAvgSq[i] * s.Beta2 + s.OneMinusBeta2 * g * g;
            var denom = MathF.Sqrt(v) / s.BiasCorrection2Sqrt + s.Epsilon;
            param[i] = p + s.NegativeStepSize * m / denom;
            expAvg[i] = m;
            expAvgSq[i] = v;
        }
    }

    private static void UpdateRange(float* param, float* expAvg, float* expAvgSq, float* grad, long n, AdamWScalars s)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var decay = Vector512.Create(s.Decay);
            var coefficient = Vector512.Create(s.LerpCoefficient);
            var beta2 = Vector512.Create(s.Beta2);
            var oneMinusBeta2 = Vector512.Create(s.OneMinusBeta2);
            var correction2 = Vector512.Create(s.BiasCorrection2Sqrt);
            var negativeStep = Vector512.Create(s.NegativeStepSize);
            var epsilon = Vector512.Create(s.Epsilon);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var g = Vector512.Load(grad + i);
                var p = Vector512.Load(param + i) * decay;
                var m = Vector512.Load(expAvg + i);
                m = Vector512.FusedMultiplyAdd(coefficient, g - m, s.LerpFromEnd ? g : m);
                var v = Vector512.Load(expAvgSq + i) * beta2 + oneMinusBeta2 * g * g;
                var denom = Vector512.Sqrt(v) / correction2 + epsilon;
                (p + negativeStep * m / denom).Store(param + i);
                m.Store(expAvg + i);
                v.Store(expAvgSq + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var decay = Vector256.Create(s.Decay);
            var coefficient = Vector256.Create(s.LerpCoefficient);
            var beta2 = Vector256.Create(s.Beta2);
            var oneMinusBeta2 = Vector256.Create(s.OneMinusBeta2);
            var correction2 = Vector256.Create(s.BiasCorrection2Sqrt);
            var negativeStep = Vector256.Create(s.NegativeStepSize);
            var epsilon = Vector256.Create(s.Epsilon);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var g = Vector256.Load(grad + i);
                var p = Vector256.Load(param + i) * decay;
                var m = Vector256.Load(expAvg + i);
                m = Vector256.FusedMultiplyAdd(coefficient, g - m, s.LerpFromEnd ? g : m);
                var v = Vector256.Load(expAvgSq + i) * beta2 + oneMinusBeta2 * g * g;
                var denom = Vector256.Sqrt(v) / correction2 + epsilon;
                (p + negativeStep * m / denom).Store(param + i);
                m.Store(expAvg + i);
                v.Store(expAvgSq + i);
            }
        }
        UpdateNaive(param + i, expAvg + i, expAvgSq + i, grad + i, n - i, s);
    }
}
