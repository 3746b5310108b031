using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Tests.Kernels;

public sealed unsafe class ResidualTests
{
    [Fact]
    public void Matches_the_naive_reference()
    {
        const int n = 1001;
        var a = TestData.Uniform(13, n);
        var b = TestData.Uniform(14, n);
        float[] fast = new float[n], naive = new float[n];
        fixed (float* pa = a, pb = b, pf = fast, pn = naive)
        {
            Residual.Forward(pf, pa, pb, n);
            Residual.ForwardNaive(pn, pa, pb, n);
        }
        Assert.Equal(naive, fast);
    }
}
