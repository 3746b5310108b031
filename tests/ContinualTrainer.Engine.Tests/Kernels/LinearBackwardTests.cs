using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Tests.Kernels;

public sealed unsafe class LinearBackwardTests
{
    [Theory]
    [InlineData(5, 7, 3)]
    [InlineData(70, 300, 530)]   // several column blocks of the bias gradient
    public void Matches_the_naive_reference(int n, int ic, int oc)
    {
        var x = TestData.Uniform(50, n * ic);
        var w = TestData.Uniform(51, oc * ic);
        var dy = TestData.Uniform(52, n * oc);
        float[] dxFast = TestData.Uniform(53, n * ic), dxNaive = new float[n * ic];   // written, not accumulated
        float[] dwFast = TestData.Uniform(54, oc * ic), dwNaive = TestData.Uniform(54, oc * ic);
        float[] dbFast = TestData.Uniform(55, oc), dbNaive = TestData.Uniform(55, oc);
        fixed (float* px = x, pw = w, pdy = dy, pdf = dxFast, pdn = dxNaive, pwf = dwFast, pwn = dwNaive, pbf = dbFast, pbn = dbNaive)
        {
            Linear.Backward(pdf, pwf, pbf, pdy, px, pw, n, ic, oc);
            Linear.BackwardNaive(pdn, pwn, pbn, pdy, px, pw, n, ic, oc);
        }
        TestData.AssertClose(dxNaive, dxFast, 1e-4f, "dx");
        TestData.AssertClose(dwNaive, dwFast, 1e-4f, "dw");
        TestData.AssertClose(dbNaive, dbFast, 1e-4f, "db");
    }

    [Fact]
    public void Gradients_match_finite_differences()
    {
        const int n = 3, ic = 5, oc = 4;
        var x = TestData.Uniform(56, n * ic);
        var w = TestData.Uniform(57, oc * ic);
        var bias = TestData.Uniform(58, oc);
        var dy = TestData.Uniform(59, n * oc);
        double Loss()
        {
            var y = new float[n * oc];
            fixed (float* px = x, pw = w, pb = bias, py = y) Linear.Forward(py, px, pw, pb, n, ic, oc);
            return FiniteDifferences.Dot(dy, y);
        }
        float[] dx = new float[n * ic], dw = new float[oc * ic], db = new float[oc];
        fixed (float* px = x, pw = w, pdy = dy, pdx = dx, pdw = dw, pdb = db) Linear.Backward(pdx, pdw, pdb, pdy, px, pw, n, ic, oc);
        FiniteDifferences.AssertMatches(dx, FiniteDifferences.Gradient(x, Loss), 1e-3, "dx");
        FiniteDifferences.AssertMatches(dw, FiniteDifferences.Gradient(w, Loss), 1e-3, "dw");
        FiniteDifferences.AssertMatches(db, FiniteDifferences.Gradient(bias, Loss), 1e-3, "db");
    }

    [Fact]
    public void A_frozen_weight_gets_no_gradient_and_the_input_gradient_is_still_written()
    {
        const int n = 2, ic = 3, oc = 2;
        var x = TestData.Uniform(60, n * ic);
        var w = TestData.Uniform(61, oc * ic);
        var dy = TestData.Uniform(62, n * oc);
        float[] dx = new float[n * ic], expected = new float[n * ic], dw = new float[oc * ic];
        fixed (float* px = x, pw = w, pdy = dy, pdx = dx, pe = expected, pdw = dw)
        {
            Linear.Backward(pdx, null, null, pdy, px, pw, n, ic, oc);
            Linear.BackwardNaive(pe, pdw, null, pdy, px, pw, n, ic, oc);
        }
        TestData.AssertClose(expected, dx, 1e-5f, "dx");
    }
}
