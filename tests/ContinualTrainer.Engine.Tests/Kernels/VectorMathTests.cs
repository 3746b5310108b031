using System.Runtime.Intrinsics;
using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Tests.Kernels;

public sealed unsafe class VectorMathTests
{
    [Fact]
    public void Exp_is_within_two_ulp_over_the_softmax_range()
    {
        for (var x = -87f; x <= 0f; x += 0.0137f)
        {
            var got = VectorMath.Exp(Vector256.Create(x)).GetElement(3);
            var want = Math.Exp(x);
            Assert.True(Math.Abs(got - want) <= 2.5e-7 * want, $"exp({x}) = {got}, expected {want}");
        }
    }

    [Fact]
    public void Exp_flushes_far_negative_inputs_to_zero()
    {
        Assert.Equal(0f, VectorMath.Exp(Vector256.Create(-1000f)).GetElement(0));
        Assert.Equal(0f, VectorMath.Exp(Vector256.Create(float.NegativeInfinity)).GetElement(0));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(4099)]
    public void Fused_exp_sums_match_scalar_loops(int n)
    {
        var x = TestData.Uniform(30, n, 10f);
        var inPlace = (float[])x.Clone();
        double reference = 0;
        foreach (var v in x) reference += Math.Exp(v - 3.0);
        float fusedSum;
        double sum;
        fixed (float* px = x, pi = inPlace)
        {
            sum = VectorMath.SumExp(px, n, 3f);
            fusedSum = VectorMath.ExpInPlaceAndSum(pi, n, 3f);
        }
        Assert.Equal(reference, sum, reference * 1e-6);
        Assert.Equal(reference, fusedSum, reference * 1e-5);
        for (var i = 0; i < n; i++) Assert.Equal(Math.Exp(x[i] - 3.0), inPlace[i], Math.Exp(x[i] - 3.0) * 1e-6);
    }
}
