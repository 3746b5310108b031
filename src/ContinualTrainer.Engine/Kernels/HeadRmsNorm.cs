namespace ContinualTrainer.Engine.Kernels;

/// <summary>
/// Qwen3's per-head RMSNorm of q and k (q_norm / k_norm): every head_dim-wide slice of a row is
/// normalised on its own with one shared weight. Reads heads straight out of a fused projection row
/// (stride <c>inStride</c>) and writes them contiguous; keeps the reciprocal RMS per (row, head).
/// The backward is <see cref="RmsNorm"/>'s per head; it writes (=) the input gradient back into the fused
/// layout and accumulates (+=) the shared weight's gradient over every row and head in order.
/// </summary>
public static unsafe class HeadRmsNorm
{
    public static void Forward(
        float* outp,    // (N, NH, hd)
        float* rstd,    // (N, NH)
        float* inp,     // (N, inStride), heads in columns [0, NH*hd)
        float* weight,  // (hd)
        int n, int heads, int headDim, int inStride, float eps)
    {
        Parallelism.ForRanges(n, (long)heads * headDim, (start, end) =>
        {
            for (var i = start; i < end; i++)
            for (var h = 0; h < heads; h++)
            {
                rstd[(long)i * heads + h] = RmsNorm.NormalizeRow(
                    outp + ((long)i * heads + h) * headDim, inp + (long)i * inStride + h * headDim, weight, headDim, eps);
            }
        });
    }

    /// <summary>The reference: scalar loops.</summary>
    public static void ForwardNaive(float* outp, float* rstd, float* inp, float* weight, int n, int heads, int headDim, int inStride, float eps)
    {
        for (var i = 0; i < n; i++)
        for (var h = 0; h < heads; h++)
        {
            var x = inp + (long)i * inStride + h * headDim;
            var y = outp + ((long)i * heads + h) * headDim;
            var sumSquares = 0f;
            for (var c = 0; c < headDim; c++) sumSquares += x[c] * x[c];
            var s = 1f / MathF.Sqrt(sumSquares / headDim + eps);
            for (var c = 0; c < headDim; c++) y[c] = weight[c] * (x[c] * s);
            rstd[(long)i * heads + h] = s;
        }
    }

    public static void Backward(
        float* dinp,    // (N, inStride), heads in columns [0, NH*hd), written
        float* dweight, // (hd) +=, or null
        float* dout,    // (N, NH, hd)
        float* inp,     // (N, inStride), heads in columns [0, NH*hd)
        float* weight,  // (hd)
        float* rstd,    // (N, NH)
        int n, int heads, int headDim, int inStride)
    {
        Parallelism.ForRanges(n, (long)heads * headDim, (start, end) =>
        {
            var g = stackalloc float[headDim];
            var span = new Span<float>(g, headDim);
            for (var i = start; i < end; i++)
            for (var h = 0; h < heads; h++)
            {
                var dx = dinp + (long)i * inStride + h * headDim;
                new Span<float>(dx, headDim).Clear();
                RmsNorm.BackwardRow(dx, span, dout + ((long)i * heads + h) * headDim, inp + (long)i * inStride + h * headDim,
                    weight, rstd[(long)i * heads + h], headDim);
            }
        });
        if (dweight != null) RmsNorm.AccumulateWeightGradient(dweight, dout, inp, rstd, n * heads, headDim, inStride, heads, heads * headDim);
    }

    /// <summary>The reference: scalar loops, sums in double.</summary>
    public static void BackwardNaive(float* dinp, float* dweight, float* dout, float* inp, float* weight, float* rstd,
        int n, int heads, int headDim, int inStride)
    {
        for (var i = 0; i < n; i++)
        for (var h = 0; h < heads; h++)
        {
            var x = inp + (long)i * inStride + h * headDim;
            var dy = dout + ((long)i * heads + h) * headDim;
            double r = rstd[(long)i * heads + h], dot = 0;
            for (var c = 0; c < headDim; c++) dot += (double)weight[c] * dy[c] * x[c];
            for (var c = 0; c < headDim; c++)
            {
                dinp[(long)i * inStride + h * headDim + c] = (float)(r * weight[c] * dy[c] - x[c] * r * r * r * dot / headDim);
                if (dweight != null) dweight[c] += (float)(dy[c] * x[c] * r);
            }
        }
    }
}
