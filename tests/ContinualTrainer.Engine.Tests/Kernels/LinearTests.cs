using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Tests.Kernels;

public sealed unsafe class LinearTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Matches_the_naive_reference(bool withBias)
    {
        const int n = 37, ic = 65, oc = 23;
        var x = TestData.Uniform(6, n * ic);
        var w = TestData.Uniform(7, oc * ic);
        var b = TestData.Uniform(8, oc);
        float[] fast = TestData.Uniform(9, n * oc), naive = new float[n * oc];   // stale output must not leak in
        fixed (float* px = x, pw = w, pb = b, pf = fast, pn = naive)
        {
            Linear.Forward(pf, px, pw, withBias ? pb : null, n, ic, oc);
            Linear.ForwardNaive(pn, px, pw, withBias ? pb : null, n, ic, oc);
        }
        TestData.AssertClose(naive, fast, 1e-5f, "y");
    }
}
