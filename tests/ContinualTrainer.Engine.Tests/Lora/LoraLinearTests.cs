using ContinualTrainer.Engine.Lora;
using ContinualTrainer.Engine.Tests.Kernels;
using ContinualTrainer.Engine.Tests.Model;

namespace ContinualTrainer.Engine.Tests.Lora;

public sealed unsafe class LoraLinearTests
{
    // TinyConfigs.Qwen3Like: C 32, QD 64, KD 32 (q|k|v row of 128), I 48.
    private static LoraAdapters Adapters(LoraTargets targets, double dropout = 0, int rank = 3)
    {
        var adapters = new LoraAdapters(TinyConfigs.Qwen3Like, new LoraConfig(rank, 5, targets, Dropout: dropout, Seed: 7));
        foreach (var m in adapters.Modules)
        {
            TestData.Uniform(m.Index * 2 + 1, (int)m.A.Length).CopyTo(m.A.Span);
            TestData.Uniform(m.Index * 2 + 2, (int)m.B.Length).CopyTo(m.B.Span);   // B non-zero, unlike a fresh adapter
        }
        return adapters;
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    public void Forward_of_a_q_v_group_matches_the_naive_reference(double dropout)
    {
        using var adapters = Adapters(LoraTargets.Q | LoraTargets.V, dropout);
        var group = adapters.Group(1, LoraGroupKind.Qkv)!;
        const int n = 9, stride = 128;
        var x = TestData.Uniform(1, n * 32);
        float[] fast = TestData.Uniform(2, n * stride), naive = TestData.Uniform(2, n * stride);
        float[] u = new float[n * group.Width], uNaive = new float[n * group.Width], dropped = new float[n * 32];
        fixed (float* px = x, pf = fast, pn = naive, pu = u, pun = uNaive, pd = dropped)
        {
            var scratch = dropout > 0 ? pd : null;
            LoraLinear.Forward(pf, pu, px, group, scratch, (float)dropout, 7, 3, n, stride, adapters.Scale);
            LoraLinear.ForwardNaive(pn, pun, px, group, scratch, (float)dropout, 7, 3, n, stride, adapters.Scale);
        }
        TestData.AssertClose(uNaive, u, 1e-5f, "u");
        TestData.AssertClose(naive, fast, 1e-5f, "y");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    public void Backward_of_a_gate_up_group_matches_the_naive_reference(double dropout)
    {
        using var fast = Adapters(LoraTargets.Gate | LoraTargets.Up, dropout);
        using var naive = Adapters(LoraTargets.Gate | LoraTargets.Up, dropout);
        var (fastGroup, naiveGroup) = (fast.Group(1, LoraGroupKind.GateUp)!, naive.Group(1, LoraGroupKind.GateUp)!);
        const int n = 13, ic = 32, stride = 96;
        var x = TestData.Uniform(6, n * ic);
        var dy = TestData.Uniform(7, n * stride);
        float[] dxFast = TestData.Uniform(8, n * ic), dxNaive = TestData.Uniform(8, n * ic);   // accumulated onto
        float[] y = new float[n * stride], u = new float[n * fastGroup.Width], du = new float[n * fastGroup.Width], dropped = new float[n * ic];
        fixed (float* px = x, pdy = dy, pdf = dxFast, pdn = dxNaive, py = y, pu = u, pdu = du, pd = dropped)
        {
            var scratch = dropout > 0 ? pd : null;
            LoraLinear.Forward(py, pu, px, fastGroup, scratch, (float)dropout, 7, 2, n, stride, fast.Scale);
            LoraLinear.Backward(pdf, pdu, pdy, pu, px, fastGroup, scratch, (float)dropout, 7, 2, n, stride, fast.Scale);
            LoraLinear.BackwardNaive(pdn, pdy, px, naiveGroup, scratch, (float)dropout, 7, 2, n, stride, naive.Scale);
        }
        TestData.AssertClose(dxNaive, dxFast, 1e-4f, "dx");
        foreach (var (f, r) in fastGroup.Modules.Zip(naiveGroup.Modules))
        {
            TestData.AssertClose(r.GradA.Span, f.GradA.Span, 1e-4f, f.Name + " dA");
            TestData.AssertClose(r.GradB.Span, f.GradB.Span, 1e-4f, f.Name + " dB");
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    public void Gradients_of_a_k_v_group_match_finite_differences(double dropout)
    {
        using var adapters = Adapters(LoraTargets.K | LoraTargets.V, dropout);
        var group = adapters.Group(0, LoraGroupKind.Qkv)!;
        const int n = 4, ic = 32, stride = 128;
        var x = TestData.Uniform(3, n * ic);
        var dy = TestData.Uniform(4, n * stride);
        var dropped = new float[n * ic];
        double Loss()
        {
            float[] y = new float[n * stride], u = new float[n * group.Width];
            fixed (float* px = x, py = y, pu = u, pd = dropped)
                LoraLinear.Forward(py, pu, px, group, dropout > 0 ? pd : null, (float)dropout, 7, 11, n, stride, adapters.Scale);
            return FiniteDifferences.Dot(dy, y);
        }
        float[] dx = TestData.Uniform(5, n * ic), prior = (float[])dx.Clone(), yOut = new float[n * stride];
        float[] uOut = new float[n * group.Width], du = new float[n * group.Width];
        fixed (float* px = x, pdy = dy, pdx = dx, py = yOut, pu = uOut, pdu = du, pd = dropped)
        {
            var scratch = dropout > 0 ? pd : null;
            LoraLinear.Forward(py, pu, px, group, scratch, (float)dropout, 7, 11, n, stride, adapters.Scale);
            LoraLinear.Backward(pdx, pdu, pdy, pu, px, group, scratch, (float)dropout, 7, 11, n, stride, adapters.Scale);
        }
        for (var i = 0; i < dx.Length; i++) dx[i] -= prior[i];   // the input gradient is accumulated
        FiniteDifferences.AssertMatches(dx, FiniteDifferences.Gradient(x, Loss, 1e-2f), 2e-3, "dx");
        foreach (var m in group.Modules)
        {
            var a = m.A.Span.ToArray();
            var b = m.B.Span.ToArray();
            double LossA() { a.CopyTo(m.A.Span); return Loss(); }
            double LossB() { b.CopyTo(m.B.Span); return Loss(); }
            var numericA = FiniteDifferences.Gradient(a, LossA, 1e-2f);
            a.CopyTo(m.A.Span);
            var numericB = FiniteDifferences.Gradient(b, LossB, 1e-2f);
            b.CopyTo(m.B.Span);
            FiniteDifferences.AssertMatches(m.GradA.Span, numericA, 2e-3, m.Name + " dA");
            FiniteDifferences.AssertMatches(m.GradB.Span, numericB, 2e-3, m.Name + " dB");
        }
    }

    [Fact]
    public void Dropout_masks_depend_on_the_step_and_keep_the_expected_share()
    {
        const int n = 200, c = 50;
        var x = Enumerable.Repeat(1f, n * c).ToArray();
        float[] first = new float[n * c], again = new float[n * c], other = new float[n * c];
        fixed (float* px = x, p1 = first, p2 = again, p3 = other)
        {
            LoraDropout.Apply(p1, px, n, c, 0.25f, LoraDropout.Key(1, 5, 2));
            LoraDropout.Apply(p2, px, n, c, 0.25f, LoraDropout.Key(1, 5, 2));
            LoraDropout.Apply(p3, px, n, c, 0.25f, LoraDropout.Key(1, 6, 2));
        }
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        var kept = first.Count(v => v != 0);
        Assert.InRange(kept, 0.72 * n * c, 0.78 * n * c);
        Assert.All(first.Where(v => v != 0), v => Assert.Equal(1f / 0.75f, v, 6));
    }
}
