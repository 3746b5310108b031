using System.Numerics.Tensors;

namespace ContinualTrainer.Engine.Kernels;

/// <summary>The SwiGLU gate of the MLP: y = silu(gate) * up, silu(g) = g * sigmoid(g).</summary>
public static unsafe class SwiGlu
{
    public static void Forward(
        float* outp,    // (N, I)
        float* gate,    // (N, inStride), columns [0, I)
        float* up,      // (N, inStride), columns [0, I)
        int n, int channels, int inStride)
    {
        Parallelism.ForRanges(n, channels, (start, end) =>
        {
            for (var i = start; i < end; i++)
            {
                var g = new ReadOnlySpan<float>(gate + (long)i * inStride, channels);
                var u = new ReadOnlySpan<float>(up + (long)i * inStride, channels);
                var y = new Span<float>(outp + (long)i * channels, channels);
                TensorPrimitives.Sigmoid(g, y);
                TensorPrimitives.Multiply(y, g, y);
                TensorPrimitives.Multiply(y, u, y);
            }
        });
    }

    /// <summary>The reference: scalar loops.</summary>
    public static void ForwardNaive(float* outp, float* gate, float* up, int n, int channels, int inStride)
    {
        for (var i = 0; i < n; i++)
        for (var c = 0; c < channels; c++)
        {
            var g = gate[(long)i * inStride + c];
            outp[(long)i * channels + c] = g / (1f + MathF.Exp(-g)) * up[(long)i * inStride + c];
        }
    }
}
