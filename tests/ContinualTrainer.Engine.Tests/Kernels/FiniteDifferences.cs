namespace ContinualTrainer.Engine.Tests.Kernels;

/// <summary>
/// Central finite differences for the backward-pass tests: the scalar loss is evaluated in double from the
/// float32 forward kernel's outputs, each input element is moved by ±step in turn, and the numeric gradient is
/// compared with the analytic one by the relative error in the Frobenius norm.
/// </summary>
internal static class FiniteDifferences
{
    /// <summary>d loss / d x[i] for every i, by (loss(x + h e_i) - loss(x - h e_i)) / 2h; x is restored.</summary>
    public static double[] Gradient(float[] x, Func<double> loss, float step = 1e-2f)
    {
        var gradient = new double[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            var saved = x[i];
            x[i] = saved + step;
            var plus = loss();
            x[i] = saved - step;
            var minus = loss();
            x[i] = saved;
            gradient[i] = (plus - minus) / ((double)(saved + step) - (saved - step));
        }
        return gradient;
    }

    /// <summary>sum_i weights[i] * values[i] in double: the loss whose gradient with respect to values is weights.</summary>
    public static double Dot(float[] weights, float[] values)
    {
        double sum = 0;
        for (var i = 0; i < values.Length; i++) sum += (double)weights[i] * values[i];
        return sum;
    }

    /// <summary>||analytic - numeric|| / ||numeric||.</summary>
    public static double RelativeError(ReadOnlySpan<float> analytic, double[] numeric)
    {
        Assert.Equal(numeric.Length, analytic.Length);
        double difference = 0, norm = 0;
        for (var i = 0; i < numeric.Length; i++)
        {
            difference += (analytic[i] - numeric[i]) * (analytic[i] - numeric[i]);
            norm += numeric[i] * numeric[i];
        }
        Assert.True(norm > 0, "the numeric gradient is zero: the check would prove nothing");
        return Math.Sqrt(difference / norm);
    }

    /// <summary>Asserts the analytic gradient is within <paramref name="tolerance"/> relative error of the numeric one.</summary>
    public static void AssertMatches(ReadOnlySpan<float> analytic, double[] numeric, double tolerance, string what)
    {
        var error = RelativeError(analytic, numeric);
        Assert.True(error <= tolerance, $"{what}: relative error {error:E2} against central differences (tolerance {tolerance:E0})");
    }
}
