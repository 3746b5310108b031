using ContinualTrainer.Engine.Lora;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Optim;
using ContinualTrainer.Engine.Tests.Kernels;
using ContinualTrainer.Engine.Tokenization;
using ContinualTrainer.Engine.Training;

namespace ContinualTrainer.Engine.Tests.Training;

public sealed class FunctionalAnchorTests
{
    private static List<TrainingExample> Windows() =>
        [TrainingExample.LanguageModel(TrainingSessionTests.Tokens(21, 18)), TrainingExample.LanguageModel(TrainingSessionTests.Tokens(22, 11))];

    [Fact]
    public void Attach_caches_one_reference_row_per_decision_token()
    {
        using var model = TrainingSessionTests.NewModel();
        var anchored = FunctionalAnchor.Attach(model, null, Windows(), topK: 5);
        Assert.Equal([17, 10], anchored.Select(e => e.Reference!.Rows));
        Assert.All(anchored, e => Assert.Equal(5 * e.DecisionCount, e.Reference!.Ids.Length));
    }

    [Theory]
    [InlineData(TrainingMode.Full)]
    [InlineData(TrainingMode.Frozen)]
    public void The_anchor_adds_nothing_while_the_model_is_the_reference(TrainingMode mode)
    {
        using var model = TrainingSessionTests.NewModel();
        var windows = Windows();
        var anchored = FunctionalAnchor.Attach(model, null, windows);
        using var session = new TrainingSession(model, new TrainingOptions(mode), p => new AdamW(p));
        var plainLoss = session.AccumulateGradients(windows);
        var plain = TrainingSessionTests.Snapshot(session.ParameterGradients!.Tensors);
        session.ZeroGradients();
        session.AnchorWeight = 5f;
        var anchoredLoss = session.AccumulateGradients(anchored);
        Assert.Equal(plainLoss, anchoredLoss, 5);
        foreach (var view in session.ParameterGradients!.Tensors) TestData.AssertClose(plain[view.Name], view.Span, 1e-4f, view.Name);
    }

    [Fact]
    public void Attach_with_adapters_caches_the_adapted_model()
    {
        using var model = TrainingSessionTests.NewModel();
        using var adapters = new LoraAdapters(TrainingSessionTests.Config, new LoraConfig(2, 4, LoraTargets.All));
        foreach (var m in adapters.Modules)
        {
            TestData.Uniform(300 + m.Index, (int)m.A.Length, 0.3f).CopyTo(m.A.Span);
            TestData.Uniform(400 + m.Index, (int)m.B.Length, 0.3f).CopyTo(m.B.Span);
        }
        var windows = Windows();
        using var session = new TrainingSession(model, new TrainingOptions(TrainingMode.Full), p => new AdamW(p), adapters) { AnchorWeight = 1f };
        var plain = session.AccumulateGradients(windows);
        var adapted = session.AccumulateGradients(FunctionalAnchor.Attach(model, adapters, windows));
        var baseOnly = session.AccumulateGradients(FunctionalAnchor.Attach(model, null, windows));
        Assert.Equal(plain, adapted, 5);
        Assert.True(baseOnly - plain > 1e-3, $"a reference without the adapters should differ: {baseOnly} against {plain}");
    }

    [Fact]
    public void Session_gradient_with_the_anchor_matches_finite_differences_of_its_loss()
    {
        using var reference = TransformerModel.CreateRandom(TrainingSessionTests.Config, seed: 99, std: 0.1f);
        using var model = TrainingSessionTests.NewModel();
        // one anchored window (reference from another model, so the KL is not 0) next to a plain decision example
        var examples = new List<TrainingExample>
        {
            FunctionalAnchor.Attach(reference, null, Windows().Take(1).ToList(), topK: 8)[0],
            TrainingSessionTests.Examples()[0],
        };
        using var session = new TrainingSession(model, new TrainingOptions(TrainingMode.Full), p => new AdamW(p)) { AnchorWeight = 3f };
        var withAnchor = session.AccumulateGradients(examples);
        Assert.True(withAnchor - session.EvaluateLoss(examples) > 1e-2, "the anchor term should be well above 0");
        var analytic = TrainingSessionTests.Snapshot(session.ParameterGradients!.Tensors);
        double Loss() => session.AccumulateGradients(examples);
        const float step = 1e-2f;
        foreach (var name in new[] { "model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight", "model.layers.1.mlp.down_proj.weight", "lm_head.weight" })
        {
            var values = model.Parameters[name];
            var grads = analytic[name];
            foreach (var i in Enumerable.Range(0, grads.Length).OrderByDescending(i => Math.Abs(grads[i])).Take(2))
            {
                var saved = values.Span[i];
                values.Span[i] = saved + step;
                var plus = Loss();
                values.Span[i] = saved - step;
                var minus = Loss();
                values.Span[i] = saved;
                var numeric = (plus - minus) / (2 * step);
                Assert.True(Math.Abs(grads[i] - numeric) <= 2e-2 * Math.Abs(numeric), $"{name}[{i}]: {grads[i]} against {numeric} by central differences");
            }
        }
    }

    [Fact]
    public void Rejects_a_reference_whose_rows_do_not_match_the_decision_tokens()
    {
        var example = TrainingExample.LanguageModel([1, 2, 3, 4]);
        var error = Assert.Throws<ArgumentException>(() => example with { Reference = new ReferenceDistribution(1, [5, 6], [-1f, -1f], [-1f, -1f]) });
        Assert.Contains("2 rows for an example of 3 decision tokens", error.Message);
    }

    [SharedFact]
    public void A_large_anchor_weight_keeps_the_replay_loss_closer_to_the_start()
    {
        var directory = SharedFixtures.Path("fixtures", "models", "tiny-llama");
        var tokenizer = BpeTokenizer.FromDirectory(directory);
        var text = File.ReadAllText(SharedFixtures.Path("corpora", "wikitext-2", "valid.txt"));
        var tokens = tokenizer.Encode(text[..20_000]);
        var replay = Enumerable.Range(0, 4).Select(w => TrainingExample.LanguageModel(tokens[(w * 48)..((w + 1) * 48)])).ToList();
        // the new data: one short phrase over and over, which pulls the model away from general text
        var phrase = tokenizer.Encode(" the answer is always forty two.");
        var repeated = Enumerable.Range(0, 48 / phrase.Length + 1).SelectMany(_ => phrase).Take(48).ToArray();
        var fresh = Enumerable.Range(0, 4).Select(_ => TrainingExample.LanguageModel(repeated)).ToList();

        double ReplayLossChange(float anchorWeight)
        {
            using var model = TransformerModel.Load(directory);
            var anchored = FunctionalAnchor.Attach(model, null, replay);
            using var session = new TrainingSession(model, new TrainingOptions(TrainingMode.Full, MaxGradNorm: 1.0), p => new AdamW(p)) { AnchorWeight = anchorWeight };
            var before = session.EvaluateLoss(replay);
            for (var step = 0; step < 8; step++) session.Step([[.. fresh.Take(2), anchored[step % 4]], [.. fresh.Skip(2), anchored[(step + 1) % 4]]], 3e-3);
            return Math.Abs(session.EvaluateLoss(replay) - before);
        }

        var plain = ReplayLossChange(0f);
        var anchoredChange = ReplayLossChange(20f);
        Assert.True(anchoredChange < plain, $"replay loss moved {anchoredChange:F4} with the anchor, {plain:F4} without");
    }
}
