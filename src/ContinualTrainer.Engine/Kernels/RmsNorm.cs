using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace ContinualTrainer.Engine.Kernels;

/// <summary>
/// RMSNorm in float32 (Hugging Face LlamaRMSNorm): y = w * (x / sqrt(mean(x^2) + eps)). The reciprocal
/// RMS of every row is kept for the backward pass.
/// <para>
/// Backward, with r the reciprocal RMS and g = w * dy: dx = r * g - x * r^3 * (g . x) / C and
/// dw = sum over rows of dy * x * r. The input gradient is added (+=) so that it lands directly in the
/// residual stream's gradient; the weight gradient is accumulated column by column over the rows in
/// order, so it does not depend on the thread count.
/// </para>
/// </summary>
public static unsafe class RmsNorm
{
    public static void Forward(
        float* outp,    // (N, C)
        float* rstd,    // (N)
        float* inp,     // (N, C)
        float* weight,  // (C)
        int n, int channels, float eps)
    {
        Parallelism.ForRanges(n, channels, (start, end) =>
        {
            for (var i = start; i < end; i++)
                rstd[i] = NormalizeRow(outp + (long)i * channels, inp + (long)i * channels, weight, channels, eps);
        });
    }

    /// <summary>The reference: one scalar loop per row.</summary>
    public static void ForwardNaive(float* outp, float* rstd, float* inp, float* weight, int n, int channels, float eps)
    {
        for (var i = 0; i < n; i++)
        {
            var x = inp + (long)i * channels;
            var sumSquares = 0f;
            for (var c = 0; c < channels; c++) sumSquares += x[c] * x[c];
            var s = 1f / MathF.Sqrt(sumSquares / channels + eps);
            for (var c = 0; c < channels; c++) outp[(long)i * channels + c] = weight[c] * (x[c] * s);
            rstd[i] = s;
        }
    }

    public static void Backward(
        float* dinp,    // (N, C) +=
        float* dweight, // (C) +=, or null
        float* dout,    // (N, C)
        float* inp,     // (N, C)
        float* weight,  // (C)
        float* rstd,    // (N)
        int n, int channels)
    {
        Parallelism.ForRanges(n, channels, (start, end) =>
        {
            var g = channels <= 4096 ? stackalloc float[channels] : new float[channels];
            for (var i = start; i < end; i++)
                BackwardRow(dinp + (long)i * channels, g, dout + (long)i * channels, inp + (long)i * channels, weight, rstd[i], channels);
        });
        if (dweight != null) AccumulateWeightGradient(dweight, dout, inp, rstd, n, channels, channels, 1, channels);
    }

    /// <summary>The reference: scalar loops, sums in double.</summary>
    public static void BackwardNaive(float* dinp, float* dweight, float* dout, float* inp, float* weight, float* rstd, int n, int channels)
    {
        for (var i = 0; i < n; i++)
        {
            var x = inp + (long)i * channels;
            var dy = dout + (long)i * channels;
            double r = rstd[i], dot = 0;
            for (var c = 0; c < channels; c++) dot += (double)weight[c] * dy[c] * x[c];
            for (var c = 0; c < channels; c++)
            {
                dinp[(long)i * channels + c] += (float)(r * weight[c] * dy[c] - x[c] * r * r * r * dot / channels);
                if (dweight != null) dweight[c] += (float)(dy[c] * x[c] * r);
            }
        }
    }

    /// <summary>Normalises one row of <paramref name="channels"/> floats; returns its reciprocal RMS.</summary>
    internal static float NormalizeRow(float* outRow, float* inRow, float* weight, int channels, float eps)
    {
        var x = new ReadOnlySpan<float>(inRow, channels);
        var y = new Span<float>(outRow, channels);
        var s = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(x) / channels + eps);
        TensorPrimitives.Multiply(x, s, y);
        TensorPrimitives.Multiply(y, new ReadOnlySpan<float>(weight, channels), y);
        return s;
    }

    // dx += r * g - x * r^3 * (g . x) / C with g = w * dy, for one row (g is a C-float scratch).
    internal static void BackwardRow(float* dx, Span<float> g, float* dy, float* x, float* weight, float r, int channels)
    {
        var xs = new ReadOnlySpan<float>(x, channels);
        var dxs = new Span<float>(dx, channels);
        TensorPrimitives.Multiply(new ReadOnlySpan<float>(weight, channels), new ReadOnlySpan<float>(dy, channels), g);
        var coefficient = -r * r * r * TensorPrimitives.Dot(g, xs) / channels;
        TensorPrimitives.MultiplyAdd(g, r, dxs, dxs);
        TensorPrimitives.MultiplyAdd(xs, coefficient, dxs, dxs);
    }

    // dweight[c] += sum over vectors j of dy[j, c] * x[j, c] * r[j], where vector j (of `width` floats) starts at
    // row j / perRow, column (j % perRow) * width of rows `stride` apart (a head of a fused row when perRow > 1).
    // Each thread owns a column range and walks the vectors in order: the result is the same for any thread count.
    internal static void AccumulateWeightGradient(float* dweight, float* dout, float* inp, float* rstd,
        int vectors, int width, int stride, int perRow, int doutStride)
    {
        const int ColumnBlock = 64;
        var blocks = (width + ColumnBlock - 1) / ColumnBlock;
        Parallelism.ForRanges(blocks, (long)vectors * ColumnBlock, (first, last) =>
        {
            int c0 = first * ColumnBlock, c1 = Math.Min(width, last * ColumnBlock);
            var dw = dweight + c0;
            var length = c1 - c0;
            for (var j = 0; j < vectors; j++)
            {
                var (row, part) = (j / perRow, j % perRow);
                var x = inp + (long)row * stride + part * width + c0;
                var dy = dout + (long)row * doutStride + part * width + c0;
                var r = rstd[j];
                var vr = Vector256.Create(r);
                var c = 0;
                for (; c + Vector256<float>.Count <= length; c += Vector256<float>.Count)
                    Vector256.Store(Vector256.FusedMultiplyAdd(Vector256.Load(dy + c) * vr, Vector256.Load(x + c), Vector256.Load(dw + c)), dw + c);
                for (; c < length; c++) dw[c] = MathF.FusedMultiplyAdd(dy[c] * r, x[c], dw[c]);
            }
        });
    }
}
