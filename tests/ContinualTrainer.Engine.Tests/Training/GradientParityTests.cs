using ContinualTrainer.Engine.IO;
using ContinualTrainer.Engine.Lora;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Optim;
using ContinualTrainer.Engine.Training;
using ContinualTrainer.Engine.Tests.Model;

namespace ContinualTrainer.Engine.Tests.Training;

/// <summary>Losses and gradients against the PyTorch fixtures (FORMAT.md: losses within 1e-4, gradients within 1e-3 relative).</summary>
public sealed class GradientParityTests
{
    private const double LossTolerance = 1e-4;
    private const double GradientTolerance = 1e-3;

    // tiny-llama is left out: its grad_full.* tensors disagree with the fixture's own reference (torchref.py run on the
    // same checkpoint and inputs reproduces its loss exactly but not those gradients, up to 42% off, and its
    // grad_full.model.norm.weight differs from grad_frozen.model.norm.weight although model.norm's gradient does not
    // depend on the mode). Full backpropagation on tiny-llama is checked against finite differences instead.
    [SharedTheory]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-qwen3-bf16")]
    public void Full_backpropagation_matches_grad_full(string name)
    {
        var fixture = ParityFixture.Load(name);
        using var model = TransformerModel.Load(fixture.ModelDirectory);
        using var session = new TrainingSession(model, new TrainingOptions(TrainingMode.Full), p => new AdamW(p));
        var loss = session.AccumulateGradients(Examples(fixture));

        Assert.InRange(loss - fixture.Loss, -LossTolerance, LossTolerance);
        AssertGradients(name, "grad_full.", session.ParameterGradients!.Tensors);
    }

    [SharedTheory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-qwen3-bf16")]
    public void Context_frozen_training_matches_grad_frozen(string name)
    {
        var fixture = ParityFixture.Load(name);
        using var model = TransformerModel.Load(fixture.ModelDirectory);
        using var session = new TrainingSession(model, new TrainingOptions(TrainingMode.Frozen), p => new AdamW(p));
        var loss = session.AccumulateGradients(Examples(fixture));

        using var file = SafeTensorsFile.Open(FixturePath(name));
        Assert.InRange(loss - file.ReadFloat32("loss_frozen")[0], -LossTolerance, LossTolerance);
        AssertGradients(name, "grad_frozen.", session.ParameterGradients!.Tensors);
    }

    [SharedTheory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-qwen3-bf16")]
    public void Lora_adapter_gradients_match_lora_grad(string name)
    {
        var fixture = ParityFixture.Load(name);
        using var model = TransformerModel.Load(fixture.ModelDirectory);
        using var adapters = LoadFixtureAdapters(name, model.Config);
        var before = model.Parameters.Tensors.ToDictionary(v => v.Name, v => v.Span.ToArray());
        using var session = new TrainingSession(model, new TrainingOptions(TrainingMode.Full), p => new AdamW(p), adapters);
        var loss = session.AccumulateGradients(Examples(fixture));

        using var file = SafeTensorsFile.Open(FixturePath(name));
        Assert.InRange(loss - file.ReadFloat32("lora_loss")[0], -LossTolerance, LossTolerance);
        Assert.Null(session.ParameterGradients);
        AssertGradients(name, "lora_grad.", adapters.Modules.SelectMany(m => new[] { m.GradA, m.GradB }).ToList());
        Assert.All(model.Parameters.Tensors, v => Assert.True(before[v.Name].AsSpan().SequenceEqual(v.Span), $"{v.Name} changed"));
    }

    // (Frozen-mode gradients are not the loss's gradient — the context is held constant — so only full mode is checked so.)
    [SharedFact]
    public void Tiny_llama_full_backpropagation_matches_finite_differences_of_the_loss()
    {
        var fixture = ParityFixture.Load("tiny-llama");
        using var model = TransformerModel.Load(fixture.ModelDirectory);
        using var session = new TrainingSession(model, new TrainingOptions(TrainingMode.Full), p => new AdamW(p));
        var examples = Examples(fixture);
        session.AccumulateGradients(examples);
        string[] names =
        [
            "model.embed_tokens.weight", "model.layers.0.input_layernorm.weight", "model.layers.0.self_attn.q_proj.weight",
            "model.layers.0.self_attn.k_proj.weight", "model.layers.0.self_attn.v_proj.weight", "model.layers.1.self_attn.o_proj.weight",
            "model.layers.1.mlp.gate_proj.weight", "model.layers.1.mlp.down_proj.weight", "model.norm.weight",
        ];
        const float step = 1e-2f;
        foreach (var name in names)
        {
            var values = model.Parameters[name];
            var grads = session.ParameterGradients![name].Span.ToArray();
            // the two largest entries of each tensor: finite differences of a float32 loss resolve them well
            foreach (var i in Enumerable.Range(0, grads.Length).OrderByDescending(i => Math.Abs(grads[i])).Take(2))
            {
                var saved = values.Span[i];
                values.Span[i] = saved + step;
                var plus = session.EvaluateLoss(examples);
                values.Span[i] = saved - step;
                var minus = session.EvaluateLoss(examples);
                values.Span[i] = saved;
                var numeric = (plus - minus) / (2 * step);
                Assert.True(Math.Abs(grads[i] - numeric) <= 2e-2 * Math.Abs(numeric), $"{name}[{i}]: {grads[i]} against {numeric} by central differences");
            }
        }
    }

    /// <summary>The fixture's two rows as training examples: its tokens and loss mask.</summary>
    internal static List<TrainingExample> Examples(ParityFixture fixture) =>
    [
        .. Enumerable.Range(0, fixture.Batch).Select(b => new TrainingExample(
            fixture.Row(b).ToArray(), fixture.LossMask.AsSpan(b * fixture.Sequence, fixture.Sequence).ToArray().Select(m => m == 1).ToArray())),
    ];

    /// <summary>Adapters on all seven projections (r 4, alpha 8) holding the fixture's lora_init values.</summary>
    internal static LoraAdapters LoadFixtureAdapters(string name, ModelConfig config)
    {
        var adapters = new LoraAdapters(config, new LoraConfig(4, 8, LoraTargets.All));
        using var file = SafeTensorsFile.Open(FixturePath(name));
        foreach (var m in adapters.Modules)
        {
            file.ReadFloat32("lora_init." + m.A.Name, m.A.Span);
            file.ReadFloat32("lora_init." + m.B.Name, m.B.Span);
        }
        return adapters;
    }

    internal static string FixturePath(string name) => SharedFixtures.Path("fixtures", "parity", name + ".safetensors");

    private static void AssertGradients(string name, string prefix, IReadOnlyList<TensorView> actual)
    {
        using var file = SafeTensorsFile.Open(FixturePath(name));
        var expectedNames = file.Tensors.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Order();
        Assert.Equal(expectedNames, actual.Select(v => prefix + v.Name).Order());
        var failures = new List<string>();
        foreach (var view in actual)
        {
            var expected = file.ReadFloat32(prefix + view.Name);
            var got = view.Span;
            double difference = 0, norm = 0;
            for (var i = 0; i < expected.Length; i++)
            {
                difference += ((double)got[i] - expected[i]) * ((double)got[i] - expected[i]);
                norm += (double)expected[i] * expected[i];
            }
            var relative = Math.Sqrt(difference / norm);
            if (!(relative <= GradientTolerance)) failures.Add($"{view.Name}: relative error {relative:E2}");
        }
        Assert.True(failures.Count == 0, $"{name} {prefix}: " + string.Join("; ", failures));
    }
}
