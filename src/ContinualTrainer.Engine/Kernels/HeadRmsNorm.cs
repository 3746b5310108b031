namespace ContinualTrainer.Engine.Kernels;

/// <summary>
/// Qwen3's per-head RMSNorm of q and k (q_norm / k_norm): every head_dim-wide slice of a row is
/// normalised on its own with one shared weight. Reads heads straight out of a fused projection row
/// (stride <c>inStride</c>) and writes them contiguous; keeps the reciprocal RMS per (row, head).
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
}
