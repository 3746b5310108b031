using System.Runtime.Intrinsics;

namespace ContinualTrainer.Engine.Kernels;

/// <summary>
/// Rotate-half rotary position embedding of one sequence's heads: with x = (x1, x2) the two halves of a
/// head, y = (x1 cos - x2 sin, x2 cos + x1 sin) at position startPosition + t. Reads heads from a fused
/// projection row (stride <c>inStride</c>), writes them contiguous; outp may equal inp when the strides match.
/// The backward rotates the gradient back by the same angle, dx = (dy1 cos + dy2 sin, dy2 cos - dy1 sin),
/// reading it contiguous and writing (=) into the fused layout; dinp may equal dout when the strides match.
/// </summary>
public static unsafe class Rope
{
    public static void Forward(
        float* outp,    // (T, NH, hd)
        float* inp,     // (T, inStride), heads in columns [0, NH*hd)
        RopeTable table,
        int startPosition, int t, int heads, int headDim, int inStride)
    {
        CheckPositions(table, startPosition, t, headDim);
        var half = headDim / 2;
        for (var i = 0; i < t; i++)
        {
            var cos = table.Cos(startPosition + i);
            var sin = table.Sin(startPosition + i);
            for (var h = 0; h < heads; h++)
            {
                var x = inp + (long)i * inStride + h * headDim;
                var y = outp + ((long)i * heads + h) * headDim;
                var j = 0;
                for (; j + Vector256<float>.Count <= half; j += Vector256<float>.Count)
                {
                    var x1 = Vector256.Load(x + j);
                    var x2 = Vector256.Load(x + half + j);
                    var c = Vector256.Load(cos + j);
                    var s = Vector256.Load(sin + j);
                    Vector256.Store(x1 * c - x2 * s, y + j);
                    Vector256.Store(x2 * c + x1 * s, y + half + j);
                }
                for (; j < half; j++)
                {
                    var (x1, x2) = (x[j], x[half + j]);
                    y[j] = x1 * cos[j] - x2 * sin[j];
                    y[half + j] = x2 * cos[j] + x1 * sin[j];
                }
            }
        }
    }

    public static void Backward(
        float* dinp,    // (T, inStride), heads in columns [0, NH*hd), written
        float* dout,    // (T, NH, hd)
        RopeTable table,
        int startPosition, int t, int heads, int headDim, int inStride)
    {
        CheckPositions(table, startPosition, t, headDim);
        var half = headDim / 2;
        for (var i = 0; i < t; i++)
        {
            var cos = table.Cos(startPosition + i);
            var sin = table.Sin(startPosition + i);
            for (var h = 0; h < heads; h++)
            {
                var dy = dout + ((long)i * heads + h) * headDim;
                var dx = dinp + (long)i * inStride + h * headDim;
                var j = 0;
                for (; j + Vector256<float>.Count <= half; j += Vector256<float>.Count)
                {
                    var dy1 = Vector256.Load(dy + j);
                    var dy2 = Vector256.Load(dy + half + j);
                    var c = Vector256.Load(cos + j);
                    var s = Vector256.Load(sin + j);
                    Vector256.Store(dy1 * c + dy2 * s, dx + j);
                    Vector256.Store(dy2 * c - dy1 * s, dx + half + j);
                }
                for (; j < half; j++)
                {
                    var (dy1, dy2) = (dy[j], dy[half + j]);
                    dx[j] = dy1 * cos[j] + dy2 * sin[j];
                    dx[half + j] = dy2 * cos[j] - dy1 * sin[j];
                }
            }
        }
    }

    /// <summary>The reference backward: recomputes every angle in double, scalar loops.</summary>
    public static void BackwardNaive(float* dinp, float* dout, double theta, int startPosition, int t, int heads, int headDim, int inStride)
    {
        var half = headDim / 2;
        for (var i = 0; i < t; i++)
        for (var h = 0; h < heads; h++)
        for (var j = 0; j < half; j++)
        {
            var angle = (startPosition + i) * Math.Pow(theta, -2.0 * j / headDim);
            var (c, s) = (Math.Cos(angle), Math.Sin(angle));
            var dy = dout + ((long)i * heads + h) * headDim;
            var dx = dinp + (long)i * inStride + h * headDim;
            var (dy1, dy2) = (dy[j], dy[half + j]);
            dx[j] = (float)(dy1 * c + dy2 * s);
            dx[half + j] = (float)(dy2 * c - dy1 * s);
        }
    }

    /// <summary>The reference: recomputes every angle in double, scalar loops.</summary>
    public static void ForwardNaive(float* outp, float* inp, double theta, int startPosition, int t, int heads, int headDim, int inStride)
    {
        var half = headDim / 2;
        for (var i = 0; i < t; i++)
        for (var h = 0; h < heads; h++)
        for (var j = 0; j < half; j++)
        {
            var angle = (startPosition + i) * Math.Pow(theta, -2.0 * j / headDim);
            var (c, s) = ((float)Math.Cos(angle), (float)Math.Sin(angle));
            var x = inp + (long)i * inStride + h * headDim;
            var y = outp + ((long)i * heads + h) * headDim;
            var (x1, x2) = (x[j], x[half + j]);
            y[j] = x1 * c - x2 * s;
            y[half + j] = x2 * c + x1 * s;
        }
    }

    private static void CheckPositions(RopeTable table, int startPosition, int t, int headDim)
    {
        if (headDim != table.HeadDim) throw new ArgumentException($"RoPE table is for head_dim {table.HeadDim}, not {headDim}");
        if (startPosition < 0 || startPosition + t > table.MaxPositions)
            throw new ArgumentOutOfRangeException(nameof(startPosition),
                $"positions [{startPosition}, {startPosition + t}) exceed the {table.MaxPositions} positions of the RoPE table (max_position_embeddings)");
    }
}
