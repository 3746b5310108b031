using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Optim;

/// <summary>
/// The element-wise parts of an APOLLO step on one matrix, each with its naive reference. Channel sums are
/// accumulated by one thread per channel in a fixed order, so results do not depend on the thread count.
/// </summary>
internal static unsafe class ApolloKernels
{
    /// <summary>Columns per unit of parallel work (a multiple of every vector width).</summary>
    private const int ColumnBlock = 64;

    /// <summary>
    /// Adam moments of the projected gradient R and, per channel (column) c, the sums of squares of
    /// R̃ = M / (sqrt(V) + eps) and of R. Uses the lerp, beta2 and epsilon fields of <paramref name="s"/>.
    /// </summary>
    public static void MomentsAndChannelSums(
        float* expAvg,          // (r, C) updated in place
        float* expAvgSq,        // (r, C) updated in place
        float* normalizedSq,    // (C) out: sum over rows of R̃²
        float* projectedSq,     // (C) out: sum over rows of R²
        float* projected,       // (r, C)
        int rank, int channels, AdamWScalars s)
    {
        var blocks = (channels + ColumnBlock - 1) / ColumnBlock;
        Parallelism.ForRanges(blocks, (long)rank * ColumnBlock, (first, last) =>
        {
            var c0 = first * ColumnBlock;
            var width = Math.Min(channels, last * ColumnBlock) - c0;
            new Span<float>(normalizedSq + c0, width).Clear();
            new Span<float>(projectedSq + c0, width).Clear();
            for (var i = 0; i < rank; i++)
            {
                var row = (long)i * channels + c0;
                MomentsRow(expAvg + row, expAvgSq + row, normalizedSq + c0, projectedSq + c0, projected + row, width, s);
            }
        });
    }

    /// <summary>The reference: scalar loops with the same float32 operations.</summary>
    public static void MomentsAndChannelSumsNaive(float* expAvg, float* expAvgSq, float* normalizedSq, float* projectedSq, float* projected,
        int rank, int channels, AdamWScalars s)
    {
        for (var c = 0; c < channels; c++) normalizedSq[c] = projectedSq[c] = 0;
        for (var i = 0; i < rank; i++)
        {
            for (var c = 0; c < channels; c++)
            {
                var k = (long)i * channels + c;
                var r = projected[k];
                var m = expAvg[k];
                m = MathF.FusedMultiplyAdd(s.LerpCoefficient, r - m, s.LerpFromEnd ? r : m);
                var v = expAvgSq[k] * s.Beta2 + s.OneMinusBeta2 * r * r;
                var n = m / (MathF.Sqrt(v) + s.Epsilon);
                normalizedSq[c] += n * n;
                projectedSq[c] += r * r;
                expAvg[k] = m;
                expAvgSq[k] = v;
            }
        }
    }

    /// <summary>Per channel c, the sum of squares of the gradient's channel: row c when <paramref name="channelsAreRows"/>, else column c.</summary>
    public static void ChannelSumsOfSquares(
        float* sums,    // (C) out, C = rows or cols
        float* grad,    // (rows, cols)
        int rows, int cols, bool channelsAreRows)
    {
        if (channelsAreRows)
        {
            Parallelism.ForRanges(rows, cols, (first, last) =>
            {
                for (var i = first; i < last; i++) sums[i] = TensorPrimitives.SumOfSquares(new ReadOnlySpan<float>(grad + (long)i * cols, cols));
            });
            return;
        }
        var blocks = (cols + ColumnBlock - 1) / ColumnBlock;
        Parallelism.ForRanges(blocks, (long)rows * ColumnBlock, (first, last) =>
        {
            var c0 = first * ColumnBlock;
            var acc = new Span<float>(sums + c0, Math.Min(cols, last * ColumnBlock) - c0);
            acc.Clear();
            for (var i = 0; i < rows; i++)
            {
                var x = new ReadOnlySpan<float>(grad + (long)i * cols + c0, acc.Length);
                TensorPrimitives.MultiplyAdd(x, x, acc, acc);
            }
        });
    }

    /// <summary>The reference: scalar loops.</summary>
    public static void ChannelSumsOfSquaresNaive(float* sums, float* grad, int rows, int cols, bool channelsAreRows)
    {
        var channels = channelsAreRows ? rows : cols;
        for (var c = 0; c < channels; c++) sums[c] = 0;
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < cols; j++)
            {
                var g = grad[(long)i * cols + j];
                sums[channelsAreRows ? i : j] += g * g;
            }
        }
    }

    /// <summary>
    /// The APOLLO weight update with decoupled decay after it, as apollo_torch orders them:
    /// p = (p + coef[c]·g) · decay, c the channel (row or column) of each element.
    /// </summary>
    public static void ScaledUpdate(
        float* param,   // (rows, cols) updated in place
        float* grad,    // (rows, cols)
        float* coef,    // (C) per-channel coefficient, C = rows or cols
        int rows, int cols, bool channelsAreRows, float decay)
    {
        Parallelism.ForRanges(rows, cols, (first, last) =>
        {
            for (var i = first; i < last; i++)
            {
                var p = new Span<float>(param + (long)i * cols, cols);
                var g = new ReadOnlySpan<float>(grad + (long)i * cols, cols);
                if (channelsAreRows) TensorPrimitives.MultiplyAdd(g, coef[i], p, p);
                else TensorPrimitives.MultiplyAdd(g, new ReadOnlySpan<float>(coef, cols), p, p);
                TensorPrimitives.Multiply(p, decay, p);
            }
        });
    }

    /// <summary>The reference: a scalar loop.</summary>
    public static void ScaledUpdateNaive(float* param, float* grad, float* coef, int rows, int cols, bool channelsAreRows, float decay)
    {
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < cols; j++)
            {
                var k = (long)i * cols + j;
                param[k] = (grad[k] * coef[channelsAreRows ? i : j] + param[k]) * decay;
            }
        }
    }

    /// <summary>One row segment of <see cref="MomentsAndChannelSums"/>.</summary>
    private static void MomentsRow(float* expAvg, float* expAvgSq, float* normalizedSq, float* projectedSq, float* projected, int width, AdamWScalars s)
    {
        var j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var coefficient = Vector512.Create(s.LerpCoefficient);
            var beta2 = Vector512.Create(s.Beta2);
            var oneMinusBeta2 = Vector512.Create(s.OneMinusBeta2);
            var epsilon = Vector512.Create(s.Epsilon);
            for (; j <= width - Vector512<float>.Count; j += Vector512<float>.Count)
            {
                var r = Vector512.Load(projected + j);
                var m = Vector512.Load(expAvg + j);
                m = Vector512.FusedMultiplyAdd(coefficient, r - m, s.LerpFromEnd ? r : m);
                var v = Vector512.Load(expAvgSq + j) * beta2 + oneMinusBeta2 * r * r;
                var n = m / (Vector512.Sqrt(v) + epsilon);
                (Vector512.Load(normalizedSq + j) + n * n).Store(normalizedSq + j);
                (Vector512.Load(projectedSq + j) + r * r).Store(projectedSq + j);
                m.Store(expAvg + j);
                v.Store(expAvgSq + j);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var coefficient = Vector256.Create(s.LerpCoefficient);
            var beta2 = Vector256.Create(s.Beta2);
            var oneMinusBeta2 = Vector256.Create(s.OneMinusBeta2);
            var epsilon = Vector256.Create(s.Epsilon);
            for (; j <= width - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                var r = Vector256.Load(projected + j);
                var m = Vector256.Load(expAvg + j);
                m = Vector256.FusedMultiplyAdd(coefficient, r - m, s.LerpFromEnd ? r : m);
                var v = Vector256.Load(expAvgSq + j) * beta2 + oneMinusBeta2 * r * r;
                var n = m / (Vector256.Sqrt(v) + epsilon);
                (Vector256.Load(normalizedSq + j) + n * n).Store(normalizedSq + j);
                (Vector256.Load(projectedSq + j) + r * r).Store(projectedSq + j);
                m.Store(expAvg + j);
                v.Store(expAvgSq + j);
            }
        }
        for (; j < width; j++)
        {
            var r = projected[j];
            var m = MathF.FusedMultiplyAdd(s.LerpCoefficient, r - expAvg[j], s.LerpFromEnd ? r : expAvg[j]);
            var v = expAvgSq[j] * s.Beta2 + s.OneMinusBeta2 * r * r;
            var n = m / (MathF.Sqrt(v) + s.Epsilon);
            normalizedSq[j] += n * n;
            projectedSq[j] += r * r;
            expAvg[j] = m;
            expAvgSq[j] = v;
        }
    }
}
