using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Tests.Kernels;

public sealed unsafe class EmbeddingTests
{
    [Fact]
    public void Copies_the_table_row_of_each_token()
    {
        var wte = TestData.Uniform(1, 5 * 3);          // (V=5, C=3)
        int[] tokens = [4, 0, 4, 2];
        var outp = new float[tokens.Length * 3];
        fixed (float* o = outp, w = wte) Embedding.Forward(o, tokens, w, tokens.Length, 5, 3);
        for (var i = 0; i < tokens.Length; i++)
            Assert.Equal(wte.AsSpan(tokens[i] * 3, 3).ToArray(), outp.AsSpan(i * 3, 3).ToArray());
    }

    [Fact]
    public void Rejects_a_token_outside_the_vocabulary()
    {
        var wte = new float[5 * 3];
        var outp = new float[2 * 3];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            fixed (float* o = outp, w = wte) Embedding.Forward(o, [1, 5], w, 2, 5, 3);
        });
        Assert.Contains("token id 5 at position 1", error.Message);
    }
}
