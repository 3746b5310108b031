using System.Numerics.Tensors;
using ContinualTrainer.Engine.Blas;

namespace ContinualTrainer.Engine.Kernels;

/// <summary>
/// A linear layer with a Hugging Face (out, in) weight: y = x W^T + b, one sgemm over all N rows with W
/// used transposed in place (no copy). The backward is two sgemms, dx = dy W (written) and dW += dy^T x
/// (accumulated), plus the bias gradient db += column sums of dy, summed over the rows in order.
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

    public static void Backward(
        float* dinp,    // (N, IC) written, or null when not needed
        float* dweight, // (OC, IC) +=, or null for a frozen weight
        float* dbias,   // (OC) +=, or null
        float* dout,    // (N, OC)
        float* inp,     // (N, IC)
        float* weight,  // (OC, IC)
        int n, int inChannels, int outChannels)
    {
        if (dweight != null)
        {
            Gemm.Sgemm(BlasTranspose.Transpose, BlasTranspose.None, outChannels, inChannels, n,
                1f, dout, outChannels, inp, inChannels, 1f, dweight, inChannels);
        }
        if (dbias != null) SumColumns(dbias, dout, n, outChannels, outChannels);
        if (dinp != null)
        {
            Gemm.Sgemm(BlasTranspose.None, BlasTranspose.None, n, inChannels, outChannels,
                1f, dout, outChannels, weight, inChannels, 0f, dinp, inChannels);
        }
    }

    /// <summary>The reference: a dot product per gradient element, in double.</summary>
    public static void BackwardNaive(float* dinp, float* dweight, float* dbias, float* dout, float* inp, float* weight,
        int n, int inChannels, int outChannels)
    {
        for (var o = 0; o < outChannels; o++)
        {
            if (dbias != null)
            {
                double sum = 0;
                for (var i = 0; i < n; i++) sum += dout[(long)i * outChannels + o];
                dbias[o] += (float)sum;
            }
            if (dweight == null) continue;
            for (var c = 0; c < inChannels; c++)
            {
                double sum = 0;
                for (var i = 0; i < n; i++) sum += (double)dout[(long)i * outChannels + o] * inp[(long)i * inChannels + c];
                dweight[(long)o * inChannels + c] += (float)sum;
            }
        }
        if (dinp == null) return;
        for (var i = 0; i < n; i++)
        for (var c = 0; c < inChannels; c++)
        {
            double sum = 0;
            for (var o = 0; o < outChannels; o++) sum += (double)dout[(long)i * outChannels + o] * weight[(long)o * inChannels + c];
            dinp[(long)i * inChannels + c] = (float)sum;
        }
    }

    /// <summary>sums[c] += sum over the n rows of x[i, c]; each thread owns a column range and adds the rows in order.</summary>
    internal static void SumColumns(
        float* sums,    // (width) +=
        float* x,       // (N, stride), columns [0, width)
        int n, int width, int stride)
    {
        const int ColumnBlock = 256;
        var blocks = (width + ColumnBlock - 1) / ColumnBlock;
        Parallelism.ForRanges(blocks, (long)n * ColumnBlock, (first, last) =>
        {
            int c0 = first * ColumnBlock, c1 = Math.Min(width, last * ColumnBlock);
            var acc = new Span<float>(sums + c0, c1 - c0);
            for (var i = 0; i < n; i++) TensorPrimitives.Add(acc, new ReadOnlySpan<float>(x + (long)i * stride + c0, c1 - c0), acc);
        });
    }
}
