using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Tests.Kernels;

public sealed unsafe class SwiGluBackwardTests
{
    [Theory]
    [InlineData(3, 11)]
    [InlineData(64, 1536)]   // enough work for several threads
    public void Matches_the_naive_reference(int n, int inner)
    {
        var gateUp = TestData.Uniform(70, n * 2 * inner, 4f);
        var dy = TestData.Uniform(71, n * inner);
        float[] fast = new float[n * 2 * inner], naive = new float[n * 2 * inner];
        fixed (float* pg = gateUp, pdy = dy, pf = fast, pn = naive)
        {
            SwiGlu.Backward(pf, pf + inner, pdy, pg, pg + inner, n, inner, 2 * inner);
            SwiGlu.BackwardNaive(pn, pn + inner, pdy, pg, pg + inner, n, inner, 2 * inner);
        }
        TestData.AssertClose(naive, fast, 1e-5f, "d gate|up");
    }

    [Fact]
    public void Gate_and_up_gradients_match_finite_differences()
    {
        const int n = 3, inner = 6;
        var gateUp = TestData.Uniform(72, n * 2 * inner, 3f);
        var dy = TestData.Uniform(73, n * inner);
        double Loss()
        {
            var y = new float[n * inner];
            fixed (float* pg = gateUp, py = y) SwiGlu.Forward(py, pg, pg + inner, n, inner, 2 * inner);
            return FiniteDifferences.Dot(dy, y);
        }
        var d = new float[n * 2 * inner];
        fixed (float* pg = gateUp, pdy = dy, pd = d) SwiGlu.Backward(pd, pd + inner, pdy, pg, pg + inner, n, inner, 2 * inner);
        FiniteDifferences.AssertMatches(d, FiniteDifferences.Gradient(gateUp, Loss, 1e-3f), 2e-3, "d gate|up");
    }
}
