using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Tests.Kernels;

public sealed unsafe class SwiGluTests
{
    [Theory]
    [InlineData(3, 11)]
    [InlineData(64, 1536)]
    public void Matches_the_naive_reference_on_a_fused_gate_up_row(int n, int channels)
    {
        var gateUp = TestData.Uniform(12, n * 2 * channels, 6f);   // (N, 2I): gate | up
        float[] fast = new float[n * channels], naive = new float[n * channels];
        fixed (float* pg = gateUp, pf = fast, pn = naive)
        {
            SwiGlu.Forward(pf, pg, pg + channels, n, channels, 2 * channels);
            SwiGlu.ForwardNaive(pn, pg, pg + channels, n, channels, 2 * channels);
        }
        TestData.AssertClose(naive, fast, 1e-5f, "y");
    }
}
