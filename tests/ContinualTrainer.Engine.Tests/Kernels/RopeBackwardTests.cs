using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Tests.Kernels;

public sealed unsafe class RopeBackwardTests
{
    [Theory]
    [InlineData(64, 10000.0, 0)]
    [InlineData(20, 1000000.0, 100)]   // head half not a multiple of the vector width, offset positions
    public void Matches_the_naive_reference(int hd, double theta, int start)
    {
        const int t = 9, heads = 3;
        var stride = heads * hd + 5;
        var dy = TestData.Uniform(80, t * heads * hd);
        float[] fast = new float[t * stride], naive = new float[t * stride];
        using var table = new RopeTable(hd, theta, 512);
        fixed (float* pdy = dy, pf = fast, pn = naive)
        {
            Rope.Backward(pf, pdy, table, start, t, heads, hd, stride);
            Rope.BackwardNaive(pn, pdy, theta, start, t, heads, hd, stride);
        }
        TestData.AssertClose(naive, fast, 1e-5f, "dx");
    }

    [Fact]
    public void Gradient_matches_finite_differences_and_runs_in_place()
    {
        const int t = 4, heads = 2, hd = 8, start = 37;
        var x = TestData.Uniform(81, t * heads * hd);
        var dy = TestData.Uniform(82, t * heads * hd);
        using var table = new RopeTable(hd, 10000.0, 64);
        double Loss()
        {
            var y = new float[x.Length];
            fixed (float* px = x, py = y) Rope.Forward(py, px, table, start, t, heads, hd, heads * hd);
            return FiniteDifferences.Dot(dy, y);
        }
        var d = (float[])dy.Clone();
        fixed (float* pd = d) Rope.Backward(pd, pd, table, start, t, heads, hd, heads * hd);
        FiniteDifferences.AssertMatches(d, FiniteDifferences.Gradient(x, Loss), 1e-3, "dx");
    }
}
