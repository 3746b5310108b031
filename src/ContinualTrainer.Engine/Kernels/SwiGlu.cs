using System.Numerics.Tensors;

namespace ContinualTrainer.Engine.Kernels;

/// <summary>
/// The SwiGLU gate of the MLP: y = silu(gate) * up, silu(g) = g * sigmoid(g). Backward, with s = sigmoid(g):
/// d up = dy * g * s and d gate = dy * up * s * (1 + g * (1 - s)), both written.
/// </summary>
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

    public static void Backward(
        float* dgate,   // (N, inStride), columns [0, I) written
        float* dup,     // (N, inStride), columns [0, I) written
        float* dout,    // (N, I)
        float* gate,    // (N, inStride), columns [0, I)
        float* up,      // (N, inStride), columns [0, I)
        int n, int channels, int inStride)
    {
        Parallelism.ForRanges(n, channels, (start, end) =>
        {
            var scratch = channels <= 4096 ? stackalloc float[2 * channels] : new float[2 * channels];
            var s = scratch[..channels];
            var t = scratch[channels..];
            for (var i = start; i < end; i++)
            {
                var g = new ReadOnlySpan<float>(gate + (long)i * inStride, channels);
                var u = new ReadOnlySpan<float>(up + (long)i * inStride, channels);
                var dy = new ReadOnlySpan<float>(dout + (long)i * channels, channels);
                var dg = new Span<float>(dgate + (long)i * inStride, channels);
                var du = new Span<float>(dup + (long)i * inStride, channels);
                TensorPrimitives.Sigmoid(g, s);                 // s = sigmoid(g)
                TensorPrimitives.Multiply(dy, s, t);            // t = dy * s
                TensorPrimitives.Multiply(t, g, du);            // d up = dy * s * g
                TensorPrimitives.Multiply(t, u, t);             // t = dy * s * u
                TensorPrimitives.Subtract(1f, s, s);            // s = 1 - sigmoid(g)
                TensorPrimitives.MultiplyAdd(g, s, 1f, s);      // s = 1 + g * (1 - sigmoid(g))
                TensorPrimitives.Multiply(t, s, dg);            // d gate
            }
        });
    }

    /// <summary>The reference: scalar loops in double.</summary>
    public static void BackwardNaive(float* dgate, float* dup, float* dout, float* gate, float* up, int n, int channels, int inStride)
    {
        for (var i = 0; i < n; i++)
        for (var c = 0; c < channels; c++)
        {
            double g = gate[(long)i * inStride + c], u = up[(long)i * inStride + c], dy = dout[(long)i * channels + c];
            var s = 1 / (1 + Math.Exp(-g));
            dup[(long)i * inStride + c] = (float)(dy * g * s);
            dgate[(long)i * inStride + c] = (float)(dy * u * s * (1 + g * (1 - s)));
        }
    }
}
