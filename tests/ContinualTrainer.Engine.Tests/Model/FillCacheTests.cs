using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Engine.Tests.Model;

public sealed class FillCacheTests
{
    [SharedTheory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen3-bf16")]
    public void A_cache_filled_with_the_context_gives_the_decision_logits_of_a_full_forward(string name)
    {
        var fixture = ParityFixture.Load(name);
        using var model = TransformerModel.Load(fixture.ModelDirectory);
        var (bsz, t) = (fixture.Batch, fixture.Sequence);
        using var cache = new KvCache(model.Config, bsz, t);
        var splits = Enumerable.Range(0, bsz).Select(b => fixture.FirstDecision(b) - 1).ToArray();
        var context = new TokenBatch(bsz, t);
        for (var b = 0; b < bsz; b++) context.SetRow(b, fixture.Row(b)[..splits[b]]);
        using (var contextActs = model.CreateActivations(bsz, t, maxLogitRows: 0))
            model.FillCache(contextActs, context, cache);
        Assert.Equal(splits, cache.Lengths.ToArray());

        var decision = new TokenBatch(bsz, t);
        for (var b = 0; b < bsz; b++) decision.SetRow(b, fixture.Row(b)[splits[b]..]);
        var rows = Enumerable.Range(0, bsz).SelectMany(b => Enumerable.Range(0, t - splits[b]).Select(i => b * t + i)).ToArray();
        using var acts = model.CreateActivations(bsz, t);
        model.Forward(acts, decision, rows, cache);

        var vocab = model.Config.VocabSize;
        var fixtureRows = Enumerable.Range(0, bsz).SelectMany(b => Enumerable.Range(splits[b], t - splits[b]).Select(i => b * t + i)).ToArray();
        var worst = 0f;
        for (var i = 0; i < fixtureRows.Length; i++)
        {
            var expected = fixture.Logits.AsSpan(fixtureRows[i] * vocab, vocab);
            var actual = acts.LogitsRow(i);
            for (var v = 0; v < vocab; v++) worst = Math.Max(worst, Math.Abs(expected[v] - actual[v]));
        }
        Assert.True(worst <= 1e-4f, $"max |logit - pytorch| = {worst}");
    }
}
