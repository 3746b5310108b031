using System.Numerics.Tensors;

namespace ContinualTrainer.Engine.Kernels;

/// <summary>The residual connection: y = a + b elementwise.</summary>
public static unsafe class Residual
{
    public static void Forward(
        float* outp,    // (N)
        float* inp1,    // (N)
        float* inp2,    // (N)
        long n)
    {
        for (long i = 0; i < n; i += int.MaxValue)
        {
            var length = (int)Math.Min(int.MaxValue, n - i);
            TensorPrimitives.Add(new ReadOnlySpan<float>(inp1 + i, length), new ReadOnlySpan<float>(inp2 + i, length), new Span<float>(outp + i, length));
        }
    }

    /// <summary>The reference: a scalar loop.</summary>
    public static void ForwardNaive(float* outp, float* inp1, float* inp2, long n)
    {
        for (long i = 0; i < n; i++) outp[i] = inp1[i] + inp2[i];
    }
}
