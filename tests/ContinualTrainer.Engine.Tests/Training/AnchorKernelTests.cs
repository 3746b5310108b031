using ContinualTrainer.Engine.Kernels;
using ContinualTrainer.Engine.Tests.Kernels;
using ContinualTrainer.Engine.Training;

namespace ContinualTrainer.Engine.Tests.Training;

public sealed unsafe class AnchorKernelTests
{
    private const int N = 5, V = 11, K = 3;

    // A reference made by TopK from other logits than the model's, so the KL is well above 0.
    private static (int[] Ids, float[] LogProbs, float[] LogRest) Reference(int seed, int n = N, int vocab = V, int k = K)
    {
        var logits = TestData.Uniform(seed, n * vocab, 3f);
        var (losses, lse) = (new float[n], new float[n]);
        var (ids, logProbs, logRest) = (new int[n * k], new float[n * k], new float[n]);
        fixed (float* pl = losses, pe = lse, px = logits, pp = logProbs, pr = logRest)
        fixed (int* pi = ids)
        {
            CrossEntropy.Forward(pl, pe, px, new int[n], n, vocab);
            AnchorKernel.TopK(pi, pp, pr, px, pe, n, vocab, k);
        }
        return (ids, logProbs, logRest);
    }

    private static float[] LogSumExp(float[] logits, int n, int vocab)
    {
        var (losses, lse) = (new float[n], new float[n]);
        fixed (float* pl = losses, pe = lse, px = logits) CrossEntropy.Forward(pl, pe, px, new int[n], n, vocab);
        return lse;
    }

    // The k + 1 bucket KL in double, written from its definition (independent of the kernel).
    private static double Kl(float[] logits, int row, int vocab, int[] ids, float[] logProbs, float[] logRest, int k)
    {
        var x = logits.AsSpan(row * vocab, vocab).ToArray().Select(v => (double)v).ToArray();
        var max = x.Max();
        var z = x.Sum(v => Math.Exp(v - max));
        var p = x.Select(v => Math.Exp(v - max) / z).ToArray();
        var top = ids.AsSpan(row * k, k).ToArray();
        var kl = 0.0;
        for (var j = 0; j < k; j++)
        {
            var reference = Math.Exp(logProbs[row * k + j]);
            kl += reference * Math.Log(reference / p[top[j]]);
        }
        var rest = Enumerable.Range(0, vocab).Where(v => !top.Contains(v)).Sum(v => p[v]);
        var restReference = Math.Exp(logRest[row]);
        return kl + restReference * Math.Log(restReference / rest);
    }

    [Fact]
    public void TopK_keeps_the_most_likely_tokens_in_decreasing_order_and_the_rest_mass()
    {
        var logits = TestData.Uniform(3, N * V, 3f);
        var lse = LogSumExp(logits, N, V);
        var (ids, logProbs, logRest) = (new int[N * K], new float[N * K], new float[N]);
        fixed (float* px = logits, pe = lse, pp = logProbs, pr = logRest)
        fixed (int* pi = ids)
        {
            AnchorKernel.TopK(pi, pp, pr, px, pe, N, V, K);
        }
        for (var i = 0; i < N; i++)
        {
            var row = logits.AsSpan(i * V, V).ToArray();
            var expected = Enumerable.Range(0, V).OrderByDescending(v => row[v]).Take(K).ToArray();
            Assert.Equal(expected, ids.AsSpan(i * K, K).ToArray());
            var p = row.Select(v => Math.Exp(v - (double)lse[i])).ToArray();
            for (var j = 0; j < K; j++) Assert.Equal(Math.Log(p[expected[j]]), logProbs[i * K + j], 4);
            Assert.Equal(Math.Log(Enumerable.Range(0, V).Where(v => !expected.Contains(v)).Sum(v => p[v])), logRest[i], 4);
        }
    }

    [Fact]
    public void Kl_is_zero_when_the_model_is_the_reference()
    {
        var logits = TestData.Uniform(4, N * V, 3f);
        var lse = LogSumExp(logits, N, V);
        var (ids, logProbs, logRest, kl) = (new int[N * K], new float[N * K], new float[N], new float[N]);
        var weights = Enumerable.Repeat(1f, N).ToArray();
        fixed (float* px = logits, pe = lse, pp = logProbs, pr = logRest, pk = kl, pw = weights)
        fixed (int* pi = ids)
        {
            AnchorKernel.TopK(pi, pp, pr, px, pe, N, V, K);
            AnchorKernel.Forward(pk, px, pe, pi, pp, pr, pw, N, V, K);
        }
        Assert.All(kl, value => Assert.InRange(value, -1e-6f, 1e-6f));
    }

    [Fact]
    public void Forward_matches_the_kl_from_its_definition()
    {
        var logits = TestData.Uniform(5, N * V, 2f);
        var lse = LogSumExp(logits, N, V);
        var (ids, logProbs, logRest) = Reference(6);
        var (kl, weights) = (new float[N], Enumerable.Repeat(0.5f, N).ToArray());
        fixed (float* px = logits, pe = lse, pp = logProbs, pr = logRest, pk = kl, pw = weights)
        fixed (int* pi = ids)
        {
            AnchorKernel.Forward(pk, px, pe, pi, pp, pr, pw, N, V, K);
        }
        for (var i = 0; i < N; i++)
        {
            var expected = Kl(logits, i, V, ids, logProbs, logRest, K);
            Assert.True(expected > 1e-3, $"row {i}: the reference should differ from the model");
            Assert.Equal(expected, kl[i], 4);
        }
    }

    [Fact]
    public void Backward_matches_finite_differences_of_cross_entropy_plus_weighted_kl()
    {
        var logits = TestData.Uniform(7, N * V, 2f);
        var targets = new[] { 0, 4, 10, 2, 7 };
        var (ids, logProbs, logRest) = Reference(8);
        var weights = new[] { 0.7f, 0f, 2f, 1f, 0.3f };
        const float scale = 1f / N;
        double Loss()
        {
            double total = 0;
            for (var i = 0; i < N; i++)
            {
                var row = logits.AsSpan(i * V, V).ToArray().Select(v => (double)v).ToArray();
                var lse = row.Max() + Math.Log(row.Sum(v => Math.Exp(v - row.Max())));
                total += lse - row[targets[i]] + weights[i] * Kl(logits, i, V, ids, logProbs, logRest, K);
            }
            return scale * total;
        }
        var numeric = FiniteDifferences.Gradient(logits, Loss, step: 1e-3f);
        var lse = LogSumExp(logits, N, V);
        var dlogits = new float[N * V];
        fixed (float* pd = dlogits, px = logits, pe = lse, pp = logProbs, pr = logRest, pw = weights)
        fixed (int* pi = ids)
        {
            AnchorKernel.Backward(pd, px, pe, targets, pi, pp, pr, pw, scale, N, V, K);
        }
        FiniteDifferences.AssertMatches(dlogits, numeric, 1e-3, "dlogits");
    }

    [Fact]
    public void Backward_matches_the_naive_reference_in_place()
    {
        const int n = 7, vocab = 301, k = 16;
        var logits = TestData.Uniform(9, n * vocab, 4f);
        var targets = new[] { 0, 300, 17, 5, 150, 299, 42 };
        var (ids, logProbs, logRest) = Reference(10, n, vocab, k);
        var weights = new[] { 1f, 0f, 0.25f, 3f, 1f, 0f, 0.5f };
        var lse = LogSumExp(logits, n, vocab);
        var expected = new float[n * vocab];
        var actual = (float[])logits.Clone();
        fixed (float* pn = expected, pa = actual, px = logits, pe = lse, pp = logProbs, pr = logRest, pw = weights)
        fixed (int* pi = ids)
        {
            AnchorKernel.BackwardNaive(pn, px, pe, targets, pi, pp, pr, pw, 0.5f, n, vocab, k);
            AnchorKernel.Backward(pa, pa, pe, targets, pi, pp, pr, pw, 0.5f, n, vocab, k);
        }
        TestData.AssertClose(expected, actual, 1e-5f, "dlogits");
    }

    [Fact]
    public void Backward_with_zero_weights_equals_the_cross_entropy_backward()
    {
        var logits = TestData.Uniform(11, N * V, 2f);
        var targets = new[] { 1, 2, 3, 4, 5 };
        var (ids, logProbs, logRest) = Reference(12);
        var weights = new float[N];
        var lse = LogSumExp(logits, N, V);
        var (expected, actual) = (new float[N * V], new float[N * V]);
        fixed (float* pc = expected, pa = actual, px = logits, pe = lse, pp = logProbs, pr = logRest, pw = weights)
        fixed (int* pi = ids)
        {
            CrossEntropy.Backward(pc, px, pe, targets, 0.2f, N, V);
            AnchorKernel.Backward(pa, px, pe, targets, pi, pp, pr, pw, 0.2f, N, V, K);
        }
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Rejects_a_reference_token_outside_the_vocabulary()
    {
        var logits = TestData.Uniform(13, V, 1f);
        var lse = LogSumExp(logits, 1, V);
        var (ids, logProbs, logRest, kl, weights) = (new[] { 0, 1, V }, new float[K], new float[1], new float[1], new[] { 1f });
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            fixed (float* px = logits, pe = lse, pp = logProbs, pr = logRest, pk = kl, pw = weights)
            fixed (int* pi = ids)
            {
                AnchorKernel.Forward(pk, px, pe, pi, pp, pr, pw, 1, V, K);
            }
        });
        Assert.Contains($"anchor token {V} at row 0", error.Message);
    }
}
