namespace ContinualTrainer.Engine.Tests.Optim;

/// <summary>
/// A convex test objective with an analytic gradient: L(W, b) = 1/(2N) Σ_k ||W x_k + b - y_k||² over N samples,
/// with targets y = W* x + b* from a random W* (m, n) and b* (m), so the minimum is 0.
/// </summary>
internal sealed class LeastSquaresProblem
{
    private readonly double[] x;    // (N, n)
    private readonly double[] y;    // (N, m)

    public LeastSquaresProblem(int rows, int cols, int samples, int seed)
    {
        Rows = rows;
        Cols = cols;
        Samples = samples;
        var random = new Random(seed);
        double Next() => random.NextDouble() * 2 - 1;
        var w = Enumerable.Range(0, rows * cols).Select(_ => Next()).ToArray();
        var b = Enumerable.Range(0, rows).Select(_ => Next()).ToArray();
        x = Enumerable.Range(0, samples * cols).Select(_ => Next()).ToArray();
        y = new double[samples * rows];
        for (var k = 0; k < samples; k++)
        {
            for (var i = 0; i < rows; i++)
            {
                var sum = b[i];
                for (var j = 0; j < cols; j++) sum += w[i * cols + j] * x[k * cols + j];
                y[k * rows + i] = sum;
            }
        }
    }

    public int Rows { get; }

    public int Cols { get; }

    public int Samples { get; }

    public double Loss(ReadOnlySpan<float> w, ReadOnlySpan<float> b)
    {
        double total = 0;
        for (var k = 0; k < Samples; k++)
        {
            for (var i = 0; i < Rows; i++)
            {
                var r = Residual(w, b, k, i);
                total += r * r;
            }
        }
        return total / (2 * Samples);
    }

    /// <summary>Adds (+=) the gradient of the mean loss over samples [first, first + count) to gw (m, n) and gb (m).</summary>
    public void AddGradient(ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> gw, Span<float> gb, int first, int count)
    {
        var dw = new double[Rows * Cols];
        var db = new double[Rows];
        for (var k = first; k < first + count; k++)
        {
            for (var i = 0; i < Rows; i++)
            {
                var r = Residual(w, b, k, i) / count;
                db[i] += r;
                for (var j = 0; j < Cols; j++) dw[i * Cols + j] += r * x[k * Cols + j];
            }
        }
        for (var i = 0; i < dw.Length; i++) gw[i] += (float)dw[i];
        for (var i = 0; i < db.Length; i++) gb[i] += (float)db[i];
    }

    private double Residual(ReadOnlySpan<float> w, ReadOnlySpan<float> b, int k, int i)
    {
        double sum = b[i];
        for (var j = 0; j < Cols; j++) sum += w[i * Cols + j] * x[k * Cols + j];
        return sum - y[k * Rows + i];
    }
}
