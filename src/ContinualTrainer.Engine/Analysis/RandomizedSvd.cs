using System.Numerics.Tensors;

namespace ContinualTrainer.Engine.Analysis;

/// <summary>
/// The leading singular values of a large matrix by randomized range finding (Halko, Martinsson and Tropp,
/// 2011): Y = (A Aᵀ)^q A Ω with a Gaussian Ω of <c>rank + oversampling</c> columns, orthonormalised after
/// every product; the singular values of Qᵀ A are those of A on the captured range. Deterministic from the seed.
/// </summary>
public static class RandomizedSvd
{
    /// <summary>
    /// Approximate singular values of <paramref name="a"/> (m × n, row-major), descending, at most
    /// <c>min(m, n, rank + oversampling)</c> of them.
    /// </summary>
    public static double[] SingularValues(ReadOnlySpan<float> a, int m, int n, int rank, int seed, int oversampling = 10, int powerIterations = 2)
    {
        if (a.Length != (long)m * n) throw new ArgumentException($"expected {m}x{n} values, got {a.Length}", nameof(a));
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        var l = Math.Min(Math.Min(m, n), rank + oversampling);

        // Y (m, l) = A Ω, with Ωᵀ (l, n) Gaussian; stored column-wise as Yᵀ (l, m) so that each column is contiguous.
        var omegaT = new float[l * n];
        var random = new Random(seed);
        for (var i = 0; i < omegaT.Length; i++) omegaT[i] = (float)Gaussian(random);
        var yT = new float[l * m];
        MultiplyRowsByColumns(yT, a, m, n, omegaT, l);
        Orthonormalize(yT, l, m);

        var zT = new float[l * n];
        for (var iteration = 0; iteration < powerIterations; iteration++)
        {
            MultiplyTransposeRows(zT, a, m, n, yT, l);   // Z (n, l) = Aᵀ Q
            Orthonormalize(zT, l, n);
            MultiplyRowsByColumns(yT, a, m, n, zT, l);   // Y (m, l) = A Z
            Orthonormalize(yT, l, m);
        }

        // B (l, n) = Qᵀ A; its singular values are sqrt(eig(B Bᵀ)).
        var b = zT;
        MultiplyTransposeRows(b, a, m, n, yT, l);          // Bᵀ (n, l) stored as B (l, n)
        var gram = new double[l * l];
        for (var i = 0; i < l; i++)
        {
            var bi = b.AsSpan(i * n, n);
            for (var j = i; j < l; j++)
            {
                var dot = DotDouble(bi, b.AsSpan(j * n, n));
                gram[i * l + j] = dot;
                gram[j * l + i] = dot;
            }
        }
        var eigen = SymmetricEigen.Eigenvalues(gram, l);
        return eigen.Select(e => Math.Sqrt(Math.Max(e, 0))).ToArray();
    }

    /// <summary>
    /// How many of the largest singular values it takes to hold <paramref name="energy"/> (0.9) of
    /// <paramref name="totalEnergy"/> (the matrix's squared Frobenius norm; default: the sum of the given values
    /// squared). When the given values do not reach it, their count is returned: the rank is at least that.
    /// </summary>
    public static int EffectiveRank(IReadOnlyList<double> singularValues, double energy = 0.9, double? totalEnergy = null)
    {
        var total = totalEnergy ?? singularValues.Sum(s => s * s);
        if (total <= 0) return 0;
        double running = 0;
        for (var i = 0; i < singularValues.Count; i++)
        {
            running += singularValues[i] * singularValues[i];
            if (running >= energy * total) return i + 1;
        }
        return singularValues.Count;
    }

    // outT (l, m): outT[j, i] = dot(A[i, :], colsT[j, :]) — A (m, n) times the l columns held as rows of colsT (l, n).
    private static void MultiplyRowsByColumns(float[] outT, ReadOnlySpan<float> a, int m, int n, float[] colsT, int l)
    {
        for (var i = 0; i < m; i++)
        {
            var row = a.Slice(i * n, n);
            for (var j = 0; j < l; j++) outT[j * m + i] = TensorPrimitives.Dot(row, colsT.AsSpan(j * n, n));
        }
    }

    // outT (l, n): outT[j, :] = Σ_i colsT[j, i] · A[i, :] — Aᵀ (n, m) times the l columns held as rows of colsT (l, m).
    private static void MultiplyTransposeRows(float[] outT, ReadOnlySpan<float> a, int m, int n, float[] colsT, int l)
    {
        Array.Clear(outT, 0, l * n);
        for (var j = 0; j < l; j++)
        {
            var target = outT.AsSpan(j * n, n);
            for (var i = 0; i < m; i++)
            {
                var weight = colsT[j * m + i];
                if (weight != 0) TensorPrimitives.MultiplyAdd(a.Slice(i * n, n), weight, target, target);
            }
        }
    }

    // Modified Gram-Schmidt (twice, for stability) on the l rows of v (l, len); dependent rows become zero.
    private static void Orthonormalize(float[] v, int l, int len)
    {
        for (var pass = 0; pass < 2; pass++)
        {
            for (var j = 0; j < l; j++)
            {
                var vj = v.AsSpan(j * len, len);
                for (var k = 0; k < j; k++)
                {
                    var vk = v.AsSpan(k * len, len);
                    var projection = (float)DotDouble(vj, vk);
                    TensorPrimitives.MultiplyAdd(vk, -projection, vj, vj);
                }
                var norm = Math.Sqrt(DotDouble(vj, vj));
                if (norm > 1e-20) TensorPrimitives.Multiply(vj, (float)(1 / norm), vj);
                else vj.Clear();
            }
        }
    }

    private static double DotDouble(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        double sum = 0;
        for (var i = 0; i < x.Length; i++) sum += (double)x[i] * y[i];
        return sum;
    }

    private static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
