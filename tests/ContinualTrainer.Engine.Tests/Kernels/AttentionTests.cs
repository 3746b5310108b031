using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Tests.Kernels;

public sealed unsafe class AttentionTests
{
    public static TheoryData<int, int, int, int, int[], int[]> Cases() => new()
    {
        // heads, kv heads, head dim, T, per-row starts (keys before the first query), per-row lengths
        { 4, 4, 16, 7, [0], [7] },
        { 4, 2, 16, 130, [0, 0], [130, 75] },             // several query blocks, GQA, right padding
        { 9, 3, 64, 40, [0, 25, 3], [40, 15, 0] },        // a prefix in the store, an empty row
        { 6, 1, 20, 70, [100, 0], [70, 70] },             // multi-query, long prefix
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_naive_reference(int heads, int kvHeads, int hd, int t, int[] starts, int[] lengths)
    {
        var batch = starts.Length;
        var s = Enumerable.Range(0, batch).Max(b => starts[b] + t);
        var q = TestData.Uniform(16, batch * t * heads * hd, 2f);
        var k = TestData.Uniform(17, batch * s * kvHeads * hd, 2f);
        var v = TestData.Uniform(18, batch * s * kvHeads * hd);
        var fast = TestData.Uniform(19, batch * t * heads * hd);   // stale values must be overwritten
        var lse = TestData.Uniform(20, batch * heads * t);
        float[] naive = new float[fast.Length], lseNaive = new float[lse.Length];
        const int workers = 2;
        var scratch = new float[workers * Attention.ScratchFloatsPerWorker(s, heads, kvHeads, hd)];
        fixed (float* pq = q, pk = k, pv = v, pf = fast, pl = lse, pn = naive, pln = lseNaive, ps = scratch)
        {
            Attention.Forward(pf, pl, pq, pk, pv, starts, lengths, ps, workers, batch, t, s, heads, kvHeads, hd);
            Attention.ForwardNaive(pn, pln, pq, pk, pv, starts, lengths, batch, t, s, heads, kvHeads, hd);
        }
        TestData.AssertClose(naive, fast, 2e-5f, "out");
        TestData.AssertClose(lseNaive, lse, 2e-5f, "lse");
    }

    [Fact]
    public void First_query_copies_the_first_value()
    {
        const int hd = 4;
        var q = TestData.Uniform(21, 2 * hd);
        var k = TestData.Uniform(22, 2 * hd);
        var v = TestData.Uniform(23, 2 * hd);
        float[] outp = new float[2 * hd], lse = new float[2];
        var scratch = new float[Attention.ScratchFloatsPerWorker(2, 1, 1, hd)];
        fixed (float* pq = q, pk = k, pv = v, po = outp, pl = lse, ps = scratch)
            Attention.Forward(po, pl, pq, pk, pv, [0], [2], ps, 1, 1, 2, 2, 1, 1, hd);
        TestData.AssertClose(v.AsSpan(0, hd), outp.AsSpan(0, hd), 1e-6f, "out[0]");
    }

    [Fact]
    public void Rejects_rows_that_need_more_keys_than_the_store_holds()
    {
        float[] buffer = new float[256];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            fixed (float* p = buffer) Attention.Forward(p, p, p, p, p, [5], [4], p, 1, 1, 4, 8, 1, 1, 4);
        });
        Assert.Contains("row 0 needs keys [0, 9)", error.Message);
    }
}
