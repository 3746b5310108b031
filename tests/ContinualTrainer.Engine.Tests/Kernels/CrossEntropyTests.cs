using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Tests.Kernels;

public sealed unsafe class CrossEntropyTests
{
    [Theory]
    [InlineData(3, 10)]
    [InlineData(40, 5000)]   // several chunks per row, several threads
    public void Matches_the_naive_reference(int n, int vocab)
    {
        var logits = TestData.Uniform(15, n * vocab, 20f);
        var targets = Enumerable.Range(0, n).Select(i => i * 7919 % vocab).ToArray();
        float[] loss = new float[n], lse = new float[n], lossNaive = new float[n], lseNaive = new float[n];
        fixed (float* pl = logits, a = loss, b = lse, c = lossNaive, d = lseNaive)
        {
            CrossEntropy.Forward(a, b, pl, targets, n, vocab);
            CrossEntropy.ForwardNaive(c, d, pl, targets, n, vocab);
        }
        TestData.AssertClose(lossNaive, loss, 1e-5f, "loss");
        TestData.AssertClose(lseNaive, lse, 1e-5f, "lse");
    }

    [Fact]
    public void Uniform_logits_cost_log_vocab()
    {
        var logits = new float[2 * 8];
        float[] loss = new float[2], lse = new float[2];
        fixed (float* pl = logits, a = loss, b = lse) CrossEntropy.Forward(a, b, pl, [3, 7], 2, 8);
        Assert.Equal(MathF.Log(8), loss[0], 5);
        Assert.Equal(MathF.Log(8), loss[1], 5);
    }

    [Fact]
    public void Rejects_a_target_outside_the_vocabulary()
    {
        var logits = new float[2 * 8];
        float[] loss = new float[2], lse = new float[2];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            fixed (float* pl = logits, a = loss, b = lse) CrossEntropy.Forward(a, b, pl, [3, 8], 2, 8);
        });
        Assert.Contains("target 8 at row 1", error.Message);
    }
}
