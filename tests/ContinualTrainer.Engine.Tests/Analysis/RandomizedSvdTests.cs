using ContinualTrainer.Engine.Analysis;

namespace ContinualTrainer.Engine.Tests.Analysis;

public sealed class RandomizedSvdTests
{
    /// <summary>A = U diag(s) Vᵀ with random orthonormal U (m × k) and V (n × k), in double, rounded to float.</summary>
    private static float[] WithSingularValues(int m, int n, double[] s, int seed)
    {
        var random = new Random(seed);
        var u = Orthonormal(m, s.Length, random);
        var v = Orthonormal(n, s.Length, random);
        var a = new float[m * n];
        for (var i = 0; i < m; i++)
        for (var j = 0; j < n; j++)
        {
            double sum = 0;
            for (var k = 0; k < s.Length; k++) sum += u[k][i] * s[k] * v[k][j];
            a[i * n + j] = (float)sum;
        }
        return a;
    }

    private static double[][] Orthonormal(int length, int count, Random random)
    {
        var vectors = new double[count][];
        for (var k = 0; k < count; k++)
        {
            var x = Enumerable.Range(0, length).Select(_ => random.NextDouble() - 0.5).ToArray();
            for (var j = 0; j < k; j++)
            {
                var dot = x.Zip(vectors[j]).Sum(p => p.First * p.Second);
                for (var i = 0; i < length; i++) x[i] -= dot * vectors[j][i];
            }
            var norm = Math.Sqrt(x.Sum(e => e * e));
            vectors[k] = x.Select(e => e / norm).ToArray();
        }
        return vectors;
    }

    [Fact]
    public void Recovers_the_leading_singular_values_of_a_matrix_with_a_known_spectrum()
    {
        double[] s = [50, 20, 10, 5, 2, 1, 0.5, 0.25];
        var a = WithSingularValues(120, 90, s, seed: 7);

        var estimate = RandomizedSvd.SingularValues(a, 120, 90, rank: 8, seed: 3);

        for (var i = 0; i < s.Length; i++) Assert.True(Math.Abs(estimate[i] - s[i]) <= 1e-3 * s[0], $"sigma_{i}: {estimate[i]} vs {s[i]}");
        Assert.All(estimate.Skip(s.Length), e => Assert.True(e < 1e-3 * s[0]));
    }

    [Fact]
    public void Effective_rank_counts_the_values_holding_ninety_percent_of_the_energy()
    {
        // energies 100, 81, 4, 1 of 186: 100/186 = 54%, 181/186 = 97% -> 2
        Assert.Equal(2, RandomizedSvd.EffectiveRank([10, 9, 2, 1]));
        Assert.Equal(1, RandomizedSvd.EffectiveRank([10, 0.1]));
        Assert.Equal(0, RandomizedSvd.EffectiveRank([0.0, 0.0]));
        // values that do not reach 90% of the stated total: the count is a lower bound
        Assert.Equal(2, RandomizedSvd.EffectiveRank([1, 1], 0.9, totalEnergy: 10));
    }

    [Fact]
    public void The_change_of_a_rank_three_update_has_effective_rank_at_most_three()
    {
        var before = new float[64 * 48];
        var random = new Random(5);
        for (var i = 0; i < before.Length; i++) before[i] = (float)(random.NextDouble() - 0.5);
        var update = WithSingularValues(64, 48, [3, 2, 1], seed: 11);
        var after = before.Zip(update, (x, d) => x + d).ToArray();

        var rank = WeightChange.EffectiveRankOfChange(before, after, 64, 48, maxRank: 16);

        // energies 9, 4, 1 of 14: 64%, 93% -> 2
        Assert.Equal(2, rank);
    }

    [Fact]
    public void Relative_displacement_is_the_frobenius_ratio()
    {
        float[] before = [3, 4];
        float[] after = [3, 4.5f];
        Assert.Equal(0.1, WeightChange.RelativeDisplacement(before, after), 12);
        Assert.Equal(0, WeightChange.RelativeDisplacement([0f], [0f]));
        Assert.Equal(double.PositiveInfinity, WeightChange.RelativeDisplacement([0f], [1f]));
    }

    [Fact]
    public void Jacobi_eigenvalues_keep_the_trace_and_the_frobenius_norm()
    {
        var random = new Random(2);
        const int n = 12;
        var a = new double[n * n];
        for (var i = 0; i < n; i++)
        for (var j = i; j < n; j++) a[i * n + j] = a[j * n + i] = random.NextDouble() - 0.5;
        var trace = Enumerable.Range(0, n).Sum(i => a[i * n + i]);
        var frobenius = a.Sum(x => x * x);

        var values = SymmetricEigen.Eigenvalues((double[])a.Clone(), n);

        Assert.Equal(trace, values.Sum(), 10);
        Assert.Equal(frobenius, values.Sum(v => v * v), 10);
        Assert.True(values.Zip(values.Skip(1)).All(p => p.First >= p.Second));
        Assert.Equal([3.0, 1.0], SymmetricEigen.Eigenvalues([2, 1, 1, 2], 2).Select(v => Math.Round(v, 12)));
    }
}
