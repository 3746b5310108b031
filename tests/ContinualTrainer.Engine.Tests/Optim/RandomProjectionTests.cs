using ContinualTrainer.Engine.Optim;

namespace ContinualTrainer.Engine.Tests.Optim;

public sealed unsafe class RandomProjectionTests
{
    [Fact]
    public void The_same_seed_name_and_refresh_give_the_same_matrix()
    {
        var key = RandomProjection.Key(42, "model.layers.0.mlp.up_proj.weight", 3);
        Assert.Equal(Fill(16, 100, key), Fill(16, 100, key));
        Assert.Equal(key, RandomProjection.Key(42, "model.layers.0.mlp.up_proj.weight", 3));
    }

    [Fact]
    public void Another_seed_parameter_or_refresh_gives_another_matrix()
    {
        var baseline = Fill(16, 100, RandomProjection.Key(42, "w", 0));
        Assert.NotEqual(baseline, Fill(16, 100, RandomProjection.Key(43, "w", 0)));
        Assert.NotEqual(baseline, Fill(16, 100, RandomProjection.Key(42, "v", 0)));
        Assert.NotEqual(baseline, Fill(16, 100, RandomProjection.Key(42, "w", 1)));
    }

    [Fact]
    public void Entries_are_gaussian_with_variance_one_over_rank()
    {
        const int rank = 64, side = 4096;
        var q = Fill(rank, side, RandomProjection.Key(7, "w", 0));
        double n = q.Length, mean = q.Average(v => (double)v);
        var variance = q.Sum(v => ((double)v - mean) * ((double)v - mean)) / n;
        var kurtosis = q.Sum(v => Math.Pow((double)v - mean, 4)) / n / (variance * variance);

        Assert.True(Math.Abs(mean) < 4 * Math.Sqrt(1.0 / rank / n), $"mean {mean}");
        Assert.True(Math.Abs(variance * rank - 1) < 0.02, $"variance {variance}, expected {1.0 / rank}");
        Assert.True(Math.Abs(kurtosis - 3) < 0.06, $"kurtosis {kurtosis}, a Gaussian has 3");
    }

    [Fact]
    public void Parallel_fill_equals_the_sequential_stream()
    {
        const int rank = 9, side = 7001; // odd count: the last pair is cut
        var key = RandomProjection.Key(1, "w", 0);
        var q = Fill(rank, side, key);
        var expected = new float[q.Length];
        for (long pair = 0; 2 * pair < expected.Length; pair++)
        {
            var (z0, z1) = RandomProjection.StandardNormalPair(key, pair);
            expected[2 * pair] = (float)(z0 * (1.0 / Math.Sqrt(rank)));
            if (2 * pair + 1 < expected.Length) expected[2 * pair + 1] = (float)(z1 * (1.0 / Math.Sqrt(rank)));
        }
        Assert.Equal(expected, q);
    }

    private static float[] Fill(int rank, int side, ulong key)
    {
        var q = new float[rank * side];
        fixed (float* p = q) RandomProjection.Fill(p, rank, side, key);
        return q;
    }
}
