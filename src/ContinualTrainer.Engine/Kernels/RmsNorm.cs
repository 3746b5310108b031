using System.Numerics.Tensors;

namespace ContinualTrainer.Engine.Kernels;

/// <summary>
/// RMSNorm in float32 (Hugging Face LlamaRMSNorm): y = w * (x / sqrt(mean(x^2) + eps)). The reciprocal
/// RMS of every row is kept for the backward pass.
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
}
