using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Tests.Kernels;

public sealed unsafe class EmbeddingBackwardTests
{
    [Fact]
    public void Repeated_tokens_sum_their_gradients_like_the_naive_reference()
    {
        const int vocab = 11, c = 300, n = 200;   // several column blocks
        var tokens = Enumerable.Range(0, n).Select(i => i * 7 % 5).ToArray();   // only 5 distinct ids
        var dy = TestData.Uniform(90, n * c);
        float[] fast = TestData.Uniform(91, vocab * c), naive = TestData.Uniform(91, vocab * c);
        fixed (float* pdy = dy, pf = fast, pn = naive)
        {
            Embedding.Backward(pf, pdy, tokens, n, vocab, c);
            Embedding.BackwardNaive(pn, pdy, tokens, n, vocab, c);
        }
        TestData.AssertClose(naive, fast, 1e-5f, "dwte");
    }

    [Fact]
    public void Table_gradient_matches_finite_differences()
    {
        const int vocab = 5, c = 3;
        int[] tokens = [2, 0, 2, 4];
        var table = TestData.Uniform(92, vocab * c);
        var dy = TestData.Uniform(93, tokens.Length * c);
        double Loss()
        {
            var y = new float[tokens.Length * c];
            fixed (float* pt = table, py = y) Embedding.Forward(py, tokens, pt, tokens.Length, vocab, c);
            return FiniteDifferences.Dot(dy, y);
        }
        var d = new float[vocab * c];
        fixed (float* pdy = dy, pd = d) Embedding.Backward(pd, pdy, tokens, tokens.Length, vocab, c);
        FiniteDifferences.AssertMatches(d, FiniteDifferences.Gradient(table, Loss), 1e-4, "dwte");
    }

    [Fact]
    public void Rejects_a_token_outside_the_vocabulary()
    {
        var buffer = new float[16];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            fixed (float* p = buffer) Embedding.Backward(p, p, [1, 9], 2, 4, 2);
        });
        Assert.Contains("token id 9 at position 1", error.Message);
    }
}
