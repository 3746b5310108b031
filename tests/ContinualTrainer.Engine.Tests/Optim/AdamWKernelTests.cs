using ContinualTrainer.Engine.Optim;
using ContinualTrainer.Engine.Tests.Kernels;

namespace ContinualTrainer.Engine.Tests.Optim;

public sealed unsafe class AdamWKernelTests
{
    [Theory]
    [InlineData(1, 0.9)]
    [InlineData(17, 0.9)]
    [InlineData(33, 0.3)]
    [InlineData(100_003, 0.9)]
    public void Fast_kernel_equals_the_naive_kernel_bit_for_bit(int n, double beta1)
    {
        float[] param = TestData.Uniform(1, n), grad = TestData.Uniform(2, n);
        float[] m = new float[n], v = new float[n];
        float[] paramRef = [.. param], mRef = new float[n], vRef = new float[n];
        for (var step = 1; step <= 3; step++)
        {
            var s = AdamWScalars.For(1e-2, 0.1, beta1, 0.999, 1e-8, step);
            fixed (float* p = param, g = grad, pm = m, pv = v, pr = paramRef, mr = mRef, vr = vRef)
            {
                AdamWKernel.Update(p, pm, pv, g, n, s);
                AdamWKernel.UpdateNaive(pr, mr, vr, g, n, s);
            }
        }
        Assert.Equal(paramRef, param);
        Assert.Equal(mRef, m);
        Assert.Equal(vRef, v);
        Assert.NotEqual(TestData.Uniform(1, n), param);
    }

    [Fact]
    public void Lerp_for_a_small_beta1_starts_from_the_gradient_like_pytorch()
    {
        // torch.lerp with weight w >= 0.5 computes g - (g - m)·(1 - w), i.e. fma(w - 1, g - m, g).
        var s = AdamWScalars.For(1e-3, 0, beta1: 0.3, beta2: 0.999, epsilon: 1e-8, step: 1);
        Assert.True(s.LerpFromEnd);
        Assert.Equal(0.7f - 1f, s.LerpCoefficient);
        var small = AdamWScalars.For(1e-3, 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: 1);
        Assert.False(small.LerpFromEnd);
        Assert.Equal((float)(1 - 0.9), small.LerpCoefficient);
    }
}
