using ContinualTrainer.Engine.Eval;
using ContinualTrainer.Engine.Kernels;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Tests.Model;

namespace ContinualTrainer.Engine.Tests.Eval;

public sealed unsafe class PerplexityTests
{
    [Theory]
    [InlineData(50, 8, 3)]    // 7 windows: two full batches and a partial one, last window 2 tokens
    [InlineData(49, 8, 4)]    // last window is a single token: nothing to predict in it
    [InlineData(16, 16, 2)]   // a single full window
    public void Batched_windows_match_one_window_at_a_time(int length, int window, int batchSize)
    {
        using var model = TransformerModel.CreateRandom(TinyConfigs.Qwen3Like, seed: 3, std: 0.3f);
        var tokens = Enumerable.Range(0, length).Select(i => i * 31 % model.Config.VocabSize).ToArray();

        var result = Perplexity.Evaluate(model, tokens, window, batchSize);

        var (nll, predicted) = OneWindowAtATime(model, tokens, window);
        Assert.Equal(predicted, result.TokensPredicted);
        Assert.Equal(nll / predicted, result.MeanNll, 1e-5);
        // Relative: perplexities here are in the hundreds, and sgemm's summation order depends on its thread split.
        Assert.InRange(result.Perplexity / Math.Exp(nll / predicted), 1 - 1e-5, 1 + 1e-5);
    }

    [Fact]
    public void Rejects_a_text_with_nothing_to_predict()
    {
        using var model = TransformerModel.CreateRandom(TinyConfigs.Qwen3Like, seed: 3);
        var error = Assert.Throws<ArgumentException>(() => Perplexity.Evaluate(model, [5], 8, 2));
        Assert.Contains("at least 2 tokens", error.Message);
    }

    // The definition, spelled out: each window alone, every logit computed, the NLL of each next token summed.
    private static (double Nll, long Predicted) OneWindowAtATime(TransformerModel model, int[] tokens, int window)
    {
        double nll = 0;
        long predicted = 0;
        var vocab = model.Config.VocabSize;
        for (var start = 0; start < tokens.Length; start += window)
        {
            var ids = tokens.AsSpan(start, Math.Min(window, tokens.Length - start));
            var batch = new TokenBatch(1, ids.Length);
            batch.SetRow(0, ids);
            using var acts = model.CreateActivations(1, ids.Length);
            model.Forward(acts, batch, Enumerable.Range(0, ids.Length).ToArray());
            for (var t = 0; t + 1 < ids.Length; t++)
            {
                float loss, lse;
                CrossEntropy.ForwardNaive(&loss, &lse, acts.Logits + (long)t * vocab, [ids[t + 1]], 1, vocab);
                nll += loss;
                predicted++;
            }
        }
        return (nll, predicted);
    }
}
