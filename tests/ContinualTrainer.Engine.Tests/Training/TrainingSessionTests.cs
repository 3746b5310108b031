using ContinualTrainer.Engine.Lora;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Optim;
using ContinualTrainer.Engine.Tests.Kernels;
using ContinualTrainer.Engine.Tests.Model;
using ContinualTrainer.Engine.Training;

namespace ContinualTrainer.Engine.Tests.Training;

public sealed class TrainingSessionTests
{
    internal static readonly ModelConfig Config = TinyConfigs.Qwen3Like;

    internal static TransformerModel NewModel() => TransformerModel.CreateRandom(Config, seed: 11, std: 0.1f);

    internal static int[] Tokens(int seed, int length)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => random.Next(Config.VocabSize))];
    }

    // Rows of different lengths and decision spans, one with a second span after a gap.
    internal static List<TrainingExample> Examples() =>
    [
        TrainingExample.WithDecisions(Tokens(1, 30), [(20, 6)]),
        TrainingExample.WithDecisions(Tokens(2, 17), [(5, 3), (12, 5)]),
        TrainingExample.WithDecisions(Tokens(3, 24), [(9, 15)]),
    ];

    internal static Dictionary<string, float[]> Snapshot(IEnumerable<TensorView> views) => views.ToDictionary(v => v.Name, v => v.Span.ToArray());

    [Theory]
    [InlineData(TrainingMode.Full)]
    [InlineData(TrainingMode.Frozen)]
    public void A_padded_batch_gives_the_token_weighted_mean_of_the_rows_gradients(TrainingMode mode)
    {
        using var model = NewModel();
        using var session = new TrainingSession(model, new TrainingOptions(mode), p => new AdamW(p));
        var examples = Examples();
        var single = examples.Select(e =>
        {
            session.ZeroGradients();
            session.AccumulateGradients([e]);
            return Snapshot(session.ParameterGradients!.Tensors);
        }).ToList();
        session.ZeroGradients();
        session.AccumulateGradients(examples);
        var total = examples.Sum(e => e.DecisionCount);
        foreach (var view in session.ParameterGradients!.Tensors)
        {
            var expected = new float[view.Length];
            for (var b = 0; b < examples.Count; b++)
            {
                var weight = (float)examples[b].DecisionCount / total;
                for (var i = 0; i < expected.Length; i++) expected[i] += weight * single[b][view.Name][i];
            }
            TestData.AssertClose(expected, view.Span, 2e-4f, view.Name);
        }
    }

    [Fact]
    public void Frozen_mode_equals_full_mode_when_nothing_precedes_the_decisions()
    {
        var windows = new[] { TrainingExample.LanguageModel(Tokens(4, 20)), TrainingExample.LanguageModel(Tokens(5, 13)) };
        Dictionary<string, float[]> Gradients(TrainingMode mode, out double loss)
        {
            using var model = NewModel();
            using var session = new TrainingSession(model, new TrainingOptions(mode), p => new AdamW(p));
            loss = session.AccumulateGradients(windows);
            return Snapshot(session.ParameterGradients!.Tensors);
        }
        var full = Gradients(TrainingMode.Full, out var fullLoss);
        var frozen = Gradients(TrainingMode.Frozen, out var frozenLoss);
        Assert.Equal(fullLoss, frozenLoss, 5);
        Assert.All(full, pair => TestData.AssertClose(pair.Value, frozen[pair.Key], 1e-5f, pair.Key));
    }

    [Fact]
    public void Frozen_mode_keeps_activations_only_for_the_trained_part()
    {
        // 4 rows of 96 tokens whose last 16 are decisions: the trained part is 17 positions per row; with 12 layers the
        // per-layer activations dominate the arenas (the frozen context needs one layer's worth plus the key/value cache)
        var examples = Enumerable.Range(0, 4).Select(b => TrainingExample.WithDecisions(Tokens(10 + b, 96), [(80, 16)])).ToList();
        long Arena(TrainingMode mode)
        {
            using var model = TransformerModel.CreateRandom(Config with { NumLayers = 12 }, seed: 11, std: 0.1f);
            using var session = new TrainingSession(model, new TrainingOptions(mode), p => new AdamW(p));
            session.AccumulateGradients(examples);
            return session.ArenaBytes;
        }
        var (full, frozen) = (Arena(TrainingMode.Full), Arena(TrainingMode.Frozen));
        Assert.True(frozen * 2 < full, $"frozen arenas {frozen} bytes, full {full} bytes");
    }

    [Theory]
    [InlineData(TrainingMode.Frozen)]
    [InlineData(TrainingMode.Full)]
    public void Arena_size_is_known_before_training_on_the_micro_batches(TrainingMode mode)
    {
        // Micro-batches of different shapes: the arenas grow to the largest rows, widths and keys seen, not to one batch's.
        IReadOnlyList<TrainingExample>[] microBatches =
        [
            [.. Examples()],
            [TrainingExample.WithDecisions(Tokens(7, 60), [(50, 10)])],
            [TrainingExample.LanguageModel(Tokens(8, 12)), TrainingExample.LanguageModel(Tokens(9, 12)), TrainingExample.LanguageModel(Tokens(10, 12)), TrainingExample.LanguageModel(Tokens(11, 12))],
        ];
        using var model = NewModel();
        using var session = new TrainingSession(model, new TrainingOptions(mode), p => new AdamW(p));
        foreach (var microBatch in microBatches) session.AccumulateGradients(microBatch);

        var (floats, trained, context) = TrainingSession.ArenaSize(Config, mode, microBatches);
        Assert.Equal(session.ArenaBytes, sizeof(float) * floats);
        // Up to 4 rows; full mode trains on every input position (the longest sequence, 60 tokens, predicts 59), frozen mode
        // on the longest decision span (15 positions, the first fed by the token before the decision) with the longest
        // context before that (49 of the 60-token example) run forward only.
        Assert.Equal(mode == TrainingMode.Frozen ? 4 * 15 : 4 * 59, trained);
        Assert.Equal(mode == TrainingMode.Frozen ? 4 * 49 : 0, context);
    }

    [Fact]
    public void Micro_batches_average_their_gradients()
    {
        using var model = NewModel();
        using var session = new TrainingSession(model, new TrainingOptions(TrainingMode.Frozen, MaxGradNorm: null), p => new AdamW(p));
        var examples = Examples();
        session.ZeroGradients();
        session.AccumulateGradients(examples.Take(2).ToList());
        session.AccumulateGradients(examples.Skip(2).ToList());
        Gradients.AverageMicroBatches(session.Parameters, 2);
        var expected = Snapshot(session.ParameterGradients!.Tensors);

        var lossBefore = session.EvaluateLoss(examples);
        var result = session.Step([examples.Take(2).ToList(), examples.Skip(2).ToList()], 0);   // lr 0: gradients only
        Assert.True(result.Applied);
        Assert.Equal(examples.Sum(e => e.Tokens.Length), result.Tokens);
        Assert.Equal(examples.Sum(e => e.DecisionCount), result.LossTokens);
        Assert.Equal(Math.Sqrt(expected.Values.Sum(g => g.Sum(v => (double)v * v))), result.GradientNorm, 4);
        Assert.All(session.ParameterGradients!.Tensors, v => Assert.True(expected[v.Name].AsSpan().SequenceEqual(v.Span), v.Name));
        Assert.Equal(lossBefore, session.EvaluateLoss(examples), 10);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Steps_lower_the_training_loss(bool lora)
    {
        using var model = NewModel();
        using var adapters = lora ? new LoraAdapters(Config, new LoraConfig(4, 8, LoraTargets.All)) : null;
        adapters?.InitializeRandom();
        using var session = new TrainingSession(model, new TrainingOptions(), p => new AdamW(p), adapters);
        var examples = Examples();
        var before = session.EvaluateLoss(examples);
        for (var step = 0; step < 10; step++) session.Step(examples, 1e-2);
        Assert.True(session.EvaluateLoss(examples) < before - 0.1, $"loss {before} did not drop");
    }

    [Fact]
    public void Lora_training_leaves_the_base_weights_alone()
    {
        using var model = NewModel();
        var before = Snapshot(model.Parameters.Tensors);
        using var adapters = new LoraAdapters(Config, new LoraConfig(2, 4, LoraTargets.Q | LoraTargets.Down));
        adapters.InitializeRandom();
        using var session = new TrainingSession(model, new TrainingOptions(), p => new AdamW(p), adapters);
        session.Step(Examples(), 1e-2);
        Assert.Null(session.ParameterGradients);
        Assert.Equal(adapters.Modules.Count * 2, session.Parameters.Count);
        Assert.All(model.Parameters.Tensors, v => Assert.True(before[v.Name].AsSpan().SequenceEqual(v.Span), v.Name));
        Assert.Contains(adapters.Modules, m => m.B.Span.ToArray().Any(b => b != 0));
    }

    [Fact]
    public void Rejects_an_example_without_decision_tokens()
    {
        using var model = NewModel();
        using var session = new TrainingSession(model, new TrainingOptions(), p => new AdamW(p));
        var error = Assert.Throws<ArgumentException>(() => session.Step([Examples()[0], TrainingExample.WithDecisions(Tokens(6, 9), [(0, 1)])], 1e-3));
        Assert.Contains("example 1 of the micro-batch has no decision token", error.Message);
    }

    [Fact]
    public void Rejects_a_loss_mask_of_another_length()
    {
        var error = Assert.Throws<ArgumentException>(() => new TrainingExample([1, 2, 3], [false, true]));
        Assert.Contains("3 tokens but a loss mask of 2", error.Message);
    }

    [SharedTheory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen3-bf16")]
    public void Evaluation_loss_matches_the_fixture_loss(string name)
    {
        var fixture = ParityFixture.Load(name);
        using var model = TransformerModel.Load(fixture.ModelDirectory);
        using var session = new TrainingSession(model, new TrainingOptions(), p => new AdamW(p));
        Assert.InRange(session.EvaluateLoss(GradientParityTests.Examples(fixture), batchSize: 1) - fixture.Loss, -1e-4, 1e-4);
    }
}
