namespace ContinualTrainer.Engine.Analysis;

/// <summary>
/// Eigenvalues of a small symmetric matrix by cyclic Jacobi rotations, in double precision. Used on the
/// (l × l) Gram matrices of randomized SVD, where l is a few dozen, so O(l³) per sweep is nothing.
/// </summary>
public static class SymmetricEigen
{
    /// <summary>Eigenvalues of the symmetric <paramref name="a"/> (n × n, row-major; destroyed), descending.</summary>
    public static double[] Eigenvalues(double[] a, int n, int maxSweeps = 100)
    {
        if (a.Length != n * n) throw new ArgumentException($"expected {n}x{n} values, got {a.Length}", nameof(a));
        for (var sweep = 0; sweep < maxSweeps; sweep++)
        {
            double off = 0, diag = 0;
            for (var i = 0; i < n; i++)
            {
                diag += a[i * n + i] * a[i * n + i];
                for (var j = i + 1; j < n; j++) off += a[i * n + j] * a[i * n + j];
            }
            if (off <= 1e-30 * Math.Max(diag, 1e-300)) break;
            for (var p = 0; p < n; p++)
            {
                for (var q = p + 1; q < n; q++)
                {
                    var apq = a[p * n + q];
                    if (Math.Abs(apq) < 1e-300) continue;
                    var theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                    var t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    var c = 1 / Math.Sqrt(t * t + 1);
                    var s = t * c;
                    for (var k = 0; k < n; k++)
                    {
                        // rotate columns p, q
                        var akp = a[k * n + p];
                        var akq = a[k * n + q];
                        a[k * n + p] = c * akp - s * akq;
                        a[k * n + q] = s * akp + c * akq;
                    }
                    for (var k = 0; k < n; k++)
                    {
                        // rotate rows p, q
                        var apk = a[p * n + k];
                        var aqk = a[q * n + k];
                        a[p * n + k] = c * apk - s * aqk;
                        a[q * n + k] = s * apk + c * aqk;
                    }
                }
            }
        }
        var values = new double[n];
        for (var i = 0; i < n; i++) values[i] = a[i * n + i];
        Array.Sort(values, (x, y) => y.CompareTo(x));
        return values;
    }
}
