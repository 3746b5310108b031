using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Tests.Kernels;

public sealed unsafe class AttentionBackwardTests
{
    [Theory]
    [MemberData(nameof(AttentionTests.Cases), MemberType = typeof(AttentionTests))]
    public void Matches_the_naive_reference(int heads, int kvHeads, int hd, int t, int[] starts, int[] lengths)
    {
        var batch = starts.Length;
        var s = Enumerable.Range(0, batch).Max(b => starts[b] + t);
        var q = TestData.Uniform(110, batch * t * heads * hd, 2f);
        var k = TestData.Uniform(111, batch * s * kvHeads * hd, 2f);
        var v = TestData.Uniform(112, batch * s * kvHeads * hd);
        var dy = TestData.Uniform(113, batch * t * heads * hd);
        float[] outp = new float[q.Length], lse = new float[batch * heads * t];
        // stale values must be overwritten
        float[] dq = TestData.Uniform(114, q.Length), dk = TestData.Uniform(115, batch * t * kvHeads * hd), dv = TestData.Uniform(116, dk.Length);
        float[] dqNaive = new float[dq.Length], dkNaive = new float[dk.Length], dvNaive = new float[dv.Length];
        const int workers = 2;
        var scratch = new float[workers * Math.Max(Attention.ScratchFloatsPerWorker(s, heads, kvHeads, hd), Attention.BackwardScratchFloatsPerWorker(s, heads, kvHeads, hd))];
        fixed (float* pq = q, pk = k, pv = v, pdy = dy, po = outp, pl = lse, pdq = dq, pdk = dk, pdv = dv, pnq = dqNaive, pnk = dkNaive, pnv = dvNaive, ps = scratch)
        {
            Attention.Forward(po, pl, pq, pk, pv, starts, lengths, ps, workers, batch, t, s, heads, kvHeads, hd);
            Attention.Backward(pdq, pdk, pdv, pdy, pq, pk, pv, po, pl, starts, lengths, ps, workers, batch, t, s, heads, kvHeads, hd);
            Attention.BackwardNaive(pnq, pnk, pnv, pdy, pq, pk, pv, po, pl, starts, lengths, batch, t, s, heads, kvHeads, hd);
        }
        TestData.AssertClose(dqNaive, dq, 1e-4f, "dq");
        TestData.AssertClose(dkNaive, dk, 1e-4f, "dk");
        TestData.AssertClose(dvNaive, dv, 1e-4f, "dv");
    }

    [Fact]
    public void Query_and_own_key_value_gradients_match_finite_differences_and_the_prefix_gets_none()
    {
        const int heads = 4, kvHeads = 2, hd = 4, t = 3;
        int[] starts = [2, 0], lengths = [3, 2];   // row 0 attends to a 2-key prefix; row 1 has one padded position
        const int batch = 2, s = 5;
        var q = TestData.Uniform(120, batch * t * heads * hd, 1.5f);
        var k = TestData.Uniform(121, batch * s * kvHeads * hd, 1.5f);
        var v = TestData.Uniform(122, batch * s * kvHeads * hd);
        var dy = TestData.Uniform(123, batch * t * heads * hd);
        var scratch = new float[Attention.BackwardScratchFloatsPerWorker(s, heads, kvHeads, hd)];
        double Loss()
        {
            float[] o = new float[q.Length], l = new float[batch * heads * t];
            fixed (float* pq = q, pk = k, pv = v, po = o, pl = l, ps = scratch)
                Attention.Forward(po, pl, pq, pk, pv, starts, lengths, ps, 1, batch, t, s, heads, kvHeads, hd);
            return FiniteDifferences.Dot(dy, o);
        }
        float[] outp = new float[q.Length], lse = new float[batch * heads * t];
        float[] dq = new float[q.Length], dk = new float[batch * t * kvHeads * hd], dv = new float[dk.Length];
        fixed (float* pq = q, pk = k, pv = v, pdy = dy, po = outp, pl = lse, pdq = dq, pdk = dk, pdv = dv, ps = scratch)
        {
            Attention.Forward(po, pl, pq, pk, pv, starts, lengths, ps, 1, batch, t, s, heads, kvHeads, hd);
            Attention.Backward(pdq, pdk, pdv, pdy, pq, pk, pv, po, pl, starts, lengths, ps, 1, batch, t, s, heads, kvHeads, hd);
        }
        FiniteDifferences.AssertMatches(dq, FiniteDifferences.Gradient(q, Loss), 2e-3, "dq");
        var numericK = FiniteDifferences.Gradient(k, Loss);
        var numericV = FiniteDifferences.Gradient(v, Loss);
        FiniteDifferences.AssertMatches(dk, OwnPositions(numericK, starts, t, s, kvHeads * hd), 2e-3, "dk");
        FiniteDifferences.AssertMatches(dv, OwnPositions(numericV, starts, t, s, kvHeads * hd), 2e-3, "dv");
        // the prefix does influence the output (so leaving it without gradient is a choice, not a zero)
        Assert.Contains(numericK.AsSpan(0, starts[0] * kvHeads * hd).ToArray(), g => Math.Abs(g) > 1e-3);
    }

    // The store gradient (B, S, width) cut to each row's own positions starts[b] .. starts[b] + T - 1: (B, T, width).
    private static double[] OwnPositions(double[] store, int[] starts, int t, int s, int width)
    {
        var own = new double[starts.Length * t * width];
        for (var b = 0; b < starts.Length; b++)
        for (var i = 0; i < t && starts[b] + i < s; i++)
            Array.Copy(store, ((long)b * s + starts[b] + i) * width, own, ((long)b * t + i) * width, width);
        return own;
    }
}
