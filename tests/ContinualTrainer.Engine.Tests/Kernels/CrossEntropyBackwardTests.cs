using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Tests.Kernels;

public sealed unsafe class CrossEntropyBackwardTests
{
    [Fact]
    public void Matches_the_naive_reference_in_place()
    {
        const int n = 40, vocab = 1000;
        var logits = TestData.Uniform(100, n * vocab, 8f);
        var targets = Enumerable.Range(0, n).Select(i => i * 37 % vocab).ToArray();
        float[] losses = new float[n], lse = new float[n], naive = new float[n * vocab];
        var inPlace = (float[])logits.Clone();
        fixed (float* pl = logits, pi = inPlace, pn = naive, ploss = losses, pe = lse)
        {
            CrossEntropy.Forward(ploss, pe, pl, targets, n, vocab);
            CrossEntropy.Backward(pi, pi, pe, targets, 1f / n, n, vocab);
            CrossEntropy.BackwardNaive(pn, pl, pe, targets, 1f / n, n, vocab);
        }
        TestData.AssertClose(naive, inPlace, 1e-6f, "dlogits");
    }

    [Fact]
    public void Gradient_of_the_mean_loss_matches_finite_differences()
    {
        const int n = 3, vocab = 7;
        var logits = TestData.Uniform(101, n * vocab, 3f);
        int[] targets = [4, 0, 6];
        double Loss()
        {
            float[] losses = new float[n], lse = new float[n];
            fixed (float* pl = logits, ploss = losses, pe = lse) CrossEntropy.Forward(ploss, pe, pl, targets, n, vocab);
            return losses.Sum(v => (double)v) / n;
        }
        float[] d = new float[n * vocab], losses0 = new float[n], lse0 = new float[n];
        fixed (float* pl = logits, pd = d, ploss = losses0, pe = lse0)
        {
            CrossEntropy.Forward(ploss, pe, pl, targets, n, vocab);
            CrossEntropy.Backward(pd, pl, pe, targets, 1f / n, n, vocab);
        }
        FiniteDifferences.AssertMatches(d, FiniteDifferences.Gradient(logits, Loss, 1e-2f), 1e-3, "dlogits");
    }
}
