using System.Runtime.Intrinsics;

namespace ContinualTrainer.Engine.Kernels;

/// <summary>
/// Fused exp loops for the softmax-shaped kernels (attention probabilities, cross-entropy log-sum-exp):
/// one pass computing exp(x - shift) and its sum, with a Vector256 exp (Cephes-style range reduction
/// to exp(r) * 2^n, degree-6 polynomial, within 2 ulp of the float32 result over the softmax range).
/// </summary>
internal static unsafe class VectorMath
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;
    private const float MinInput = -87.33654f;   // exp below this is below float's normal range
    private const float MaxInput = 88f;          // keeps 2^n finite

    /// <summary>x[i] = exp(x[i] - shift) for i &lt; n; returns the sum of the new values (for short rows: attention keys).</summary>
    public static float ExpInPlaceAndSum(float* x, int n, float shift)
    {
        var i = 0;
        var acc = Vector256<float>.Zero;
        var s = Vector256.Create(shift);
        for (; i + Vector256<float>.Count <= n; i += Vector256<float>.Count)
        {
            var e = Exp(Vector256.Load(x + i) - s);
            Vector256.Store(e, x + i);
            acc += e;
        }
        var sum = Vector256.Sum(acc);
        for (; i < n; i++)
        {
            x[i] = MathF.Exp(x[i] - shift);
            sum += x[i];
        }
        return sum;
    }

    /// <summary>Sum of exp(x[i] - shift) for i &lt; n, without writing x.</summary>
    public static double SumExp(float* x, int n, float shift)
    {
        var i = 0;
        double total = 0;
        var s = Vector256.Create(shift);
        while (i + Vector256<float>.Count <= n)
        {
            // Blocks of at most 1024 in float, added into a double, keep long rows (a vocabulary) accurate.
            var acc = Vector256<float>.Zero;
            var end = Math.Min(n - Vector256<float>.Count, i + 1024);
            for (; i <= end; i += Vector256<float>.Count) acc += Exp(Vector256.Load(x + i) - s);
            total += Vector256.Sum(acc);
        }
        for (; i < n; i++) total += MathF.Exp(x[i] - shift);
        return total;
    }

    /// <summary>y[i] = scale * exp(x[i] - shift) for i &lt; n (softmax gradients); y may be x.</summary>
    public static void ScaledExp(float* y, float* x, int n, float shift, float scale)
    {
        var i = 0;
        var s = Vector256.Create(shift);
        var a = Vector256.Create(scale);
        for (; i + Vector256<float>.Count <= n; i += Vector256<float>.Count)
            Vector256.Store(a * Exp(Vector256.Load(x + i) - s), y + i);
        for (; i < n; i++) y[i] = scale * MathF.Exp(x[i] - shift);
    }

    /// <summary>exp of each lane; inputs below -87.3 give 0 (softmax of masked or far-below-max scores).</summary>
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var underflow = Vector256.LessThan(x, Vector256.Create(MinInput));
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(MinInput)), Vector256.Create(MaxInput));
        var n = Vector256.Round(x * Vector256.Create(Log2E));
        var r = x - n * Vector256.Create(Ln2Hi) - n * Vector256.Create(Ln2Lo);
        var p = Vector256.Create(1.9875691500e-4f);
        p = p * r + Vector256.Create(1.3981999507e-3f);
        p = p * r + Vector256.Create(8.3334519073e-3f);
        p = p * r + Vector256.Create(4.1665795894e-2f);
        p = p * r + Vector256.Create(1.6666665459e-1f);
        p = p * r + Vector256.Create(5.0000001201e-1f);
        p = p * r * r + r + Vector256<float>.One;
        var scale = (Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23;
        return Vector256.ConditionalSelect(underflow, Vector256<float>.Zero, p * scale.AsSingle());
    }
}
