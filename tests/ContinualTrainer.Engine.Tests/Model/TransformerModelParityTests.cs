using ContinualTrainer.Engine.Kernels;
using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Engine.Tests.Model;

public sealed unsafe class TransformerModelParityTests
{
    private const float Tolerance = 1e-4f;

    [SharedTheory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-qwen3-bf16")]
    public void Logits_at_every_position_match_pytorch(string name)
    {
        var fixture = ParityFixture.Load(name);
        using var model = TransformerModel.Load(fixture.ModelDirectory);
        var batch = FullBatch(fixture);
        using var acts = model.CreateActivations(fixture.Batch, fixture.Sequence);
        var rows = Enumerable.Range(0, fixture.Batch * fixture.Sequence).ToArray();
        model.Forward(acts, batch, rows);
        AssertLogits(fixture, acts, rows);
    }

    [SharedTheory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-qwen3-bf16")]
    public void Masked_loss_from_logits_at_decision_positions_only_matches_pytorch(string name)
    {
        var fixture = ParityFixture.Load(name);
        using var model = TransformerModel.Load(fixture.ModelDirectory);
        var (bsz, t) = (fixture.Batch, fixture.Sequence);
        // position t predicts input_ids[t + 1], counted where loss_mask[t + 1] = 1
        var rows = Enumerable.Range(0, bsz * t).Where(i => i % t < t - 1 && fixture.LossMask[i + 1] == 1).ToArray();
        var targets = rows.Select(i => fixture.InputIds[i + 1]).ToArray();
        using var acts = model.CreateActivations(bsz, t, maxLogitRows: rows.Length);
        model.Forward(acts, FullBatch(fixture), rows);

        var losses = new float[rows.Length];
        var lse = new float[rows.Length];
        fixed (float* pl = losses, pe = lse) CrossEntropy.Forward(pl, pe, acts.Logits, targets, rows.Length, model.Config.VocabSize);
        Assert.InRange(losses.Average() - fixture.Loss, -Tolerance, Tolerance);
    }

    [SharedTheory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-qwen3-bf16")]
    public void Decision_part_after_a_cached_frozen_context_gives_the_same_logits(string name)
    {
        var fixture = ParityFixture.Load(name);
        using var model = TransformerModel.Load(fixture.ModelDirectory);
        var (bsz, t) = (fixture.Batch, fixture.Sequence);
        using var cache = new KvCache(model.Config, bsz, t);

        // context: positions 0..s-1 of each row (s differs per row), logits for none of them
        var context = new TokenBatch(bsz, t);
        var splits = Enumerable.Range(0, bsz).Select(b => fixture.FirstDecision(b) - 1).ToArray();
        for (var b = 0; b < bsz; b++) context.SetRow(b, fixture.Row(b)[..splits[b]]);
        using (var contextActs = model.CreateActivations(bsz, t))
            model.Forward(contextActs, context, [], cache);
        Assert.Equal(splits, cache.Lengths.ToArray());

        // decision part: positions s..T-1 at their true positions, attending to the cached keys/values
        var decision = new TokenBatch(bsz, t);
        for (var b = 0; b < bsz; b++) decision.SetRow(b, fixture.Row(b)[splits[b]..]);
        var rows = Enumerable.Range(0, bsz).SelectMany(b => Enumerable.Range(0, t - splits[b]).Select(i => b * t + i)).ToArray();
        using var acts = model.CreateActivations(bsz, t, keepEveryLayer: true);
        model.Forward(acts, decision, rows, cache);

        var fixtureRows = Enumerable.Range(0, bsz).SelectMany(b => Enumerable.Range(splits[b], t - splits[b]).Select(i => b * t + i)).ToArray();
        AssertLogits(fixture, acts, fixtureRows);
        Assert.All(cache.Lengths.ToArray(), length => Assert.Equal(t, length));
    }

    [SharedFact]
    public void A_cache_rewound_to_the_context_reproduces_the_decision_logits()
    {
        var fixture = ParityFixture.Load("tiny-qwen2");
        using var model = TransformerModel.Load(fixture.ModelDirectory);
        var t = fixture.Sequence;
        using var cache = new KvCache(model.Config, 1, t);
        var split = fixture.FirstDecision(0) - 1;
        var context = new TokenBatch(1, split);
        context.SetRow(0, fixture.Row(0)[..split]);
        var decision = new TokenBatch(1, t - split);
        decision.SetRow(0, fixture.Row(0)[split..]);
        var rows = Enumerable.Range(0, t - split).ToArray();
        using var acts = model.CreateActivations(1, t, keyCapacity: t);

        cache.Clear();
        model.Forward(acts, context, [], cache);
        model.Forward(acts, decision, rows, cache);
        cache.Truncate(0, split);
        model.Forward(acts, decision, rows, cache);   // second pass over the same decision tokens

        AssertLogits(fixture, acts, Enumerable.Range(split, t - split).ToArray());
        Assert.Equal(t, cache.Lengths[0]);
    }

    [SharedFact]
    public void Rejects_a_batch_that_overflows_the_cache()
    {
        var fixture = ParityFixture.Load("tiny-llama");
        using var model = TransformerModel.Load(fixture.ModelDirectory);
        using var cache = new KvCache(model.Config, 1, 10);
        var batch = new TokenBatch(1, 8);
        batch.SetRow(0, fixture.Row(0)[..8]);
        using var acts = model.CreateActivations(1, 8, keyCapacity: 10);
        model.Forward(acts, batch, [], cache);
        var error = Assert.Throws<ArgumentException>(() => model.Forward(acts, batch, [], cache));
        Assert.Contains("row 0: 8 cached + 8 new positions exceed the KV cache capacity 10", error.Message);
    }

    [SharedTheory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen3-bf16")]
    public void Right_padding_does_not_change_the_valid_positions(string name)
    {
        var fixture = ParityFixture.Load(name);
        using var model = TransformerModel.Load(fixture.ModelDirectory);
        var (bsz, t) = (fixture.Batch, fixture.Sequence);
        var batch = new TokenBatch(bsz, t);
        batch.SetRow(0, fixture.Row(0)[..17]);
        batch.SetRow(1, fixture.Row(1));
        var rows = Enumerable.Range(0, 17).Concat(Enumerable.Range(t, t)).ToArray();
        using var acts = model.CreateActivations(bsz, t);
        model.Forward(acts, batch, rows);
        AssertLogits(fixture, acts, rows);
    }

    [SharedFact]
    public void Rejects_logits_requested_at_a_padded_position()
    {
        var fixture = ParityFixture.Load("tiny-llama");
        using var model = TransformerModel.Load(fixture.ModelDirectory);
        var batch = new TokenBatch(1, 8);
        batch.SetRow(0, fixture.Row(0)[..5]);
        using var acts = model.CreateActivations(1, 8);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(acts, batch, [4, 5]));
        Assert.Contains("logits row 5 (request 1)", error.Message);
    }

    private static TokenBatch FullBatch(ParityFixture fixture)
    {
        var batch = new TokenBatch(fixture.Batch, fixture.Sequence);
        for (var b = 0; b < fixture.Batch; b++) batch.SetRow(b, fixture.Row(b));
        return batch;
    }

    // acts.Logits row i must equal the fixture's logits at flat position fixtureRows[i].
    private static void AssertLogits(ParityFixture fixture, ActivationTensors acts, int[] fixtureRows)
    {
        Assert.Equal(fixtureRows.Length, acts.LogitRowCount);
        var vocab = acts.Config.VocabSize;
        var maxDiff = 0f;
        for (var i = 0; i < fixtureRows.Length; i++)
        {
            var expected = fixture.Logits.AsSpan(fixtureRows[i] * vocab, vocab);
            var actual = acts.LogitsRow(i);
            for (var v = 0; v < vocab; v++) maxDiff = Math.Max(maxDiff, Math.Abs(expected[v] - actual[v]));
        }
        Assert.True(maxDiff <= Tolerance, $"max |logit - pytorch| = {maxDiff}");
    }
}
