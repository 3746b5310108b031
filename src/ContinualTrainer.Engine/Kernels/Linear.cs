using ContinualTrainer.Engine.Blas;

namespace ContinualTrainer.Engine.Kernels;

/// <summary>
/// A linear layer with a Hugging Face (out, in) weight: y = x W^T + b, one sgemm over all N rows with W
/// used transposed in place (no copy).
/// </summary>
public static unsafe class Linear
{
    public static void Forward(
        float* outp,    // (N, OC)
        float* inp,     // (N, IC)
        float* weight,  // (OC, IC)
        float* bias,    // (OC) or null
        int n, int inChannels, int outChannels)
    {
        var beta = 0f;
        if (bias != null)
        {
            var b = new ReadOnlySpan<float>(bias, outChannels);
            for (var i = 0; i < n; i++) b.CopyTo(new Span<float>(outp + (long)i * outChannels, outChannels));
            beta = 1f;
        }
        Gemm.Sgemm(BlasTranspose.None, BlasTranspose.Transpose, n, outChannels, inChannels,
            1f, inp, inChannels, weight, inChannels, beta, outp, outChannels);
    }

    /// <summary>The reference: a dot product per output.</summary>
    public static void ForwardNaive(float* outp, float* inp, float* weight, float* bias, int n, int inChannels, int outChannels)
    {
        for (var i = 0; i < n; i++)
        for (var o = 0; o < outChannels; o++)
        {
            var sum = bias != null ? bias[o] : 0f;
            for (var c = 0; c < inChannels; c++) sum += inp[(long)i * inChannels + c] * weight[(long)o * inChannels + c];
            outp[(long)i * outChannels + o] = sum;
        }
    }
}
