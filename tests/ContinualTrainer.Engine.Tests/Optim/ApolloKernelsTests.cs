using ContinualTrainer.Engine.Optim;
using ContinualTrainer.Engine.Tests.Kernels;

namespace ContinualTrainer.Engine.Tests.Optim;

public sealed unsafe class ApolloKernelsTests
{
    [Theory]
    [InlineData(1, 7, 0.9)]
    [InlineData(3, 200, 0.9)]
    [InlineData(40, 1000, 0.3)]   // parallel over column blocks
    public void Fast_moments_and_channel_sums_equal_the_naive_kernel(int rank, int channels, double beta1)
    {
        var n = rank * channels;
        float[] m = new float[n], v = new float[n], sumN = new float[channels], sumR = new float[channels];
        float[] mRef = new float[n], vRef = new float[n], sumNRef = new float[channels], sumRRef = new float[channels];
        for (var step = 1; step <= 3; step++)
        {
            var r = TestData.Uniform(step, n);
            var s = AdamWScalars.For(1e-3, 0, beta1, 0.999, 1e-6, step);
            fixed (float* pr = r, pm = m, pv = v, pn = sumN, ps = sumR, qm = mRef, qv = vRef, qn = sumNRef, qs = sumRRef)
            {
                ApolloKernels.MomentsAndChannelSums(pm, pv, pn, ps, pr, rank, channels, s);
                ApolloKernels.MomentsAndChannelSumsNaive(qm, qv, qn, qs, pr, rank, channels, s);
            }
        }
        Assert.Equal(mRef, m);
        Assert.Equal(vRef, v);
        Assert.Equal(sumNRef, sumN);
        Assert.Equal(sumRRef, sumR);
        Assert.Contains(sumR, x => x > 0);
    }

    [Theory]
    [InlineData(5, 3, true)]
    [InlineData(5, 3, false)]
    [InlineData(300, 190, true)]
    [InlineData(190, 300, false)]
    public void Fast_channel_sums_of_squares_match_the_naive_kernel(int rows, int cols, bool channelsAreRows)
    {
        var g = TestData.Uniform(4, rows * cols);
        var channels = channelsAreRows ? rows : cols;
        float[] sums = new float[channels], expected = new float[channels];
        fixed (float* pg = g, ps = sums, pe = expected)
        {
            ApolloKernels.ChannelSumsOfSquares(ps, pg, rows, cols, channelsAreRows);
            ApolloKernels.ChannelSumsOfSquaresNaive(pe, pg, rows, cols, channelsAreRows);
        }
        TestData.AssertClose(expected, sums, 1e-5f, "channel sum");
    }

    [Theory]
    [InlineData(5, 3, true)]
    [InlineData(5, 3, false)]
    [InlineData(300, 190, true)]
    [InlineData(190, 300, false)]
    public void Fast_scaled_update_equals_the_naive_kernel(int rows, int cols, bool channelsAreRows)
    {
        var g = TestData.Uniform(5, rows * cols);
        var coef = TestData.Uniform(6, channelsAreRows ? rows : cols, 0.01f);
        var p = TestData.Uniform(7, rows * cols);
        float[] pRef = [.. p];
        fixed (float* pp = p, pr = pRef, pg = g, pc = coef)
        {
            ApolloKernels.ScaledUpdate(pp, pg, pc, rows, cols, channelsAreRows, 0.999f);
            ApolloKernels.ScaledUpdateNaive(pr, pg, pc, rows, cols, channelsAreRows, 0.999f);
        }
        Assert.Equal(pRef, p);
        Assert.NotEqual(TestData.Uniform(7, rows * cols), p);
    }
}
