using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Tests.Kernels;

public sealed unsafe class RmsNormBackwardTests
{
    [Theory]
    [InlineData(3, 7)]
    [InlineData(300, 576)]   // several threads, column blocks of the weight gradient
    public void Matches_the_naive_reference(int n, int c)
    {
        var x = TestData.Uniform(30, n * c, 3f);
        var w = TestData.Uniform(31, c);
        var dy = TestData.Uniform(32, n * c);
        var y = new float[n * c];
        var rstd = new float[n];
        // both start from the same prior gradients: the kernel accumulates
        float[] dxFast = TestData.Uniform(33, n * c), dxNaive = TestData.Uniform(33, n * c);
        float[] dwFast = TestData.Uniform(34, c), dwNaive = TestData.Uniform(34, c);
        fixed (float* px = x, pw = w, pdy = dy, py = y, pr = rstd, pdf = dxFast, pdn = dxNaive, pwf = dwFast, pwn = dwNaive)
        {
            RmsNorm.Forward(py, pr, px, pw, n, c, 1e-5f);
            RmsNorm.Backward(pdf, pwf, pdy, px, pw, pr, n, c);
            RmsNorm.BackwardNaive(pdn, pwn, pdy, px, pw, pr, n, c);
        }
        TestData.AssertClose(dxNaive, dxFast, 1e-4f, "dx");
        TestData.AssertClose(dwNaive, dwFast, 1e-4f, "dw");
    }

    [Fact]
    public void Input_and_weight_gradients_match_finite_differences()
    {
        const int n = 4, c = 12;
        var x = TestData.Uniform(35, n * c, 2f);
        var w = TestData.Uniform(36, c, 2f);
        var dy = TestData.Uniform(37, n * c);
        double Loss()
        {
            float[] y = new float[n * c], rstd = new float[n];
            fixed (float* px = x, pw = w, py = y, pr = rstd) RmsNorm.Forward(py, pr, px, pw, n, c, 1e-5f);
            return FiniteDifferences.Dot(dy, y);
        }
        float[] dx = new float[n * c], dw = new float[c], yOut = new float[n * c], r = new float[n];
        fixed (float* px = x, pw = w, pdy = dy, py = yOut, pr = r, pdx = dx, pdw = dw)
        {
            RmsNorm.Forward(py, pr, px, pw, n, c, 1e-5f);
            RmsNorm.Backward(pdx, pdw, pdy, px, pw, pr, n, c);
        }
        FiniteDifferences.AssertMatches(dx, FiniteDifferences.Gradient(x, Loss), 2e-3, "dx");
        FiniteDifferences.AssertMatches(dw, FiniteDifferences.Gradient(w, Loss), 2e-3, "dw");
    }

    [Fact]
    public void Head_norm_matches_the_naive_reference()
    {
        const int n = 37, heads = 3, hd = 16, stride = 60;
        var x = TestData.Uniform(38, n * stride, 2f);
        var w = TestData.Uniform(39, hd);
        var dy = TestData.Uniform(40, n * heads * hd);
        float[] y = new float[n * heads * hd], rstd = new float[n * heads];
        float[] dxFast = TestData.Uniform(41, n * stride), dxNaive = TestData.Uniform(41, n * stride);  // columns past the heads stay
        float[] dwFast = TestData.Uniform(42, hd), dwNaive = TestData.Uniform(42, hd);
        fixed (float* px = x, pw = w, pdy = dy, py = y, pr = rstd, pdf = dxFast, pdn = dxNaive, pwf = dwFast, pwn = dwNaive)
        {
            HeadRmsNorm.Forward(py, pr, px, pw, n, heads, hd, stride, 1e-6f);
            HeadRmsNorm.Backward(pdf, pwf, pdy, px, pw, pr, n, heads, hd, stride);
            HeadRmsNorm.BackwardNaive(pdn, pwn, pdy, px, pw, pr, n, heads, hd, stride);
        }
        TestData.AssertClose(dxNaive, dxFast, 1e-4f, "dx");
        TestData.AssertClose(dwNaive, dwFast, 1e-4f, "dw");
    }

    [Fact]
    public void Head_norm_gradients_match_finite_differences()
    {
        const int n = 3, heads = 2, hd = 8, stride = 20;
        var x = TestData.Uniform(43, n * stride, 2f);
        var w = TestData.Uniform(44, hd, 2f);
        var dy = TestData.Uniform(45, n * heads * hd);
        double Loss()
        {
            float[] y = new float[n * heads * hd], rstd = new float[n * heads];
            fixed (float* px = x, pw = w, py = y, pr = rstd) HeadRmsNorm.Forward(py, pr, px, pw, n, heads, hd, stride, 1e-6f);
            return FiniteDifferences.Dot(dy, y);
        }
        float[] dx = new float[n * stride], dw = new float[hd], yOut = new float[n * heads * hd], r = new float[n * heads];
        fixed (float* px = x, pw = w, pdy = dy, py = yOut, pr = r, pdx = dx, pdw = dw)
        {
            HeadRmsNorm.Forward(py, pr, px, pw, n, heads, hd, stride, 1e-6f);
            HeadRmsNorm.Backward(pdx, pdw, pdy, px, pw, pr, n, heads, hd, stride);
        }
        FiniteDifferences.AssertMatches(dx, FiniteDifferences.Gradient(x, Loss), 2e-3, "dx");
        FiniteDifferences.AssertMatches(dw, FiniteDifferences.Gradient(w, Loss), 2e-3, "dw");
    }
}
