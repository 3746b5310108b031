using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Tests.Kernels;

public sealed unsafe class RmsNormTests
{
    [Theory]
    [InlineData(1, 7)]
    [InlineData(300, 576)]   // enough work to run on several threads
    public void Matches_the_naive_reference(int n, int c)
    {
        var x = TestData.Uniform(2, n * c, 3f);
        var w = TestData.Uniform(3, c);
        float[] fast = new float[n * c], naive = new float[n * c], rstdFast = new float[n], rstdNaive = new float[n];
        fixed (float* px = x, pw = w, pf = fast, pn = naive, rf = rstdFast, rn = rstdNaive)
        {
            RmsNorm.Forward(pf, rf, px, pw, n, c, 1e-5f);
            RmsNorm.ForwardNaive(pn, rn, px, pw, n, c, 1e-5f);
        }
        TestData.AssertClose(naive, fast, 1e-5f, "y");
        TestData.AssertClose(rstdNaive, rstdFast, 1e-5f, "rstd");
    }

    [Fact]
    public void Normalises_a_row_to_unit_root_mean_square()
    {
        float[] x = [3, -4, 0, 0], w = [1, 1, 1, 1], y = new float[4], rstd = new float[1];
        fixed (float* px = x, pw = w, py = y, pr = rstd) RmsNorm.Forward(py, pr, px, pw, 1, 4, 0f);
        Assert.Equal(1f / 2.5f, rstd[0], 6);   // rms of (3, -4, 0, 0) is sqrt(25 / 4)
        Assert.Equal([1.2f, -1.6f, 0f, 0f], y);
    }

    [Fact]
    public void Head_norm_normalises_each_head_of_a_strided_row_on_its_own()
    {
        const int n = 5, heads = 3, hd = 8, stride = 40;   // heads in the first 24 of 40 columns
        var x = TestData.Uniform(4, n * stride, 2f);
        var w = TestData.Uniform(5, hd);
        float[] fast = new float[n * heads * hd], naive = new float[n * heads * hd];
        float[] rstdFast = new float[n * heads], rstdNaive = new float[n * heads];
        fixed (float* px = x, pw = w, pf = fast, pn = naive, rf = rstdFast, rn = rstdNaive)
        {
            HeadRmsNorm.Forward(pf, rf, px, pw, n, heads, hd, stride, 1e-6f);
            HeadRmsNorm.ForwardNaive(pn, rn, px, pw, n, heads, hd, stride, 1e-6f);
            // each head equals a plain RMSNorm of that slice
            var single = new float[hd];
            var singleRstd = new float[1];
            fixed (float* ps = single, psr = singleRstd)
            {
                RmsNorm.ForwardNaive(ps, psr, px + 2 * stride + 1 * hd, pw, 1, hd, 1e-6f);
            }
            TestData.AssertClose(single, fast.AsSpan((2 * heads + 1) * hd, hd), 1e-5f, "head (2,1)");
        }
        TestData.AssertClose(naive, fast, 1e-5f, "y");
        TestData.AssertClose(rstdNaive, rstdFast, 1e-5f, "rstd");
    }
}
