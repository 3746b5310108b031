using ContinualTrainer.Engine.IO;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Optim;

namespace ContinualTrainer.Engine.Tests.Optim;

public sealed class AdamWParityTests
{
    /// <summary>FORMAT.md: AdamW parameters within 1e-5 absolute.</summary>
    private const float Tolerance = 1e-5f;

    [SharedTheory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-qwen3-bf16")]
    public void One_step_from_the_fixture_gradients_matches_torch_adamw(string name)
    {
        using var checkpoint = HfCheckpoint.Open(SharedFixtures.Path("fixtures", "models", name));
        using var values = new ParameterTensors(checkpoint.Config);
        using var grads = new ParameterTensors(checkpoint.Config);
        using var fixture = SafeTensorsFile.Open(SharedFixtures.Path("fixtures", "parity", name + ".safetensors"));
        values.Load(checkpoint);
        foreach (var view in grads.Tensors) fixture.ReadFloat32("grad_full." + view.Name, view.Span);

        // The fixture applied torch.optim.AdamW with weight_decay 0.01 to every parameter: one group.
        var all = new ParameterGroup("all", WeightDecay: 0.01, Projected: false);
        using var adamw = new AdamW(OptimizerParameters.FromModel(values, grads, _ => all), new AdamWOptions(0.9, 0.999, 1e-8));
        adamw.Step(learningRate: 1e-3);

        var expectedNames = fixture.Tensors.Keys.Where(k => k.StartsWith("adamw_step1.", StringComparison.Ordinal)).Order();
        Assert.Equal(expectedNames, values.Tensors.Select(v => "adamw_step1." + v.Name).Order());
        foreach (var view in values.Tensors)
        {
            var expected = fixture.ReadFloat32("adamw_step1." + view.Name);
            var actual = view.Span;
            var worst = 0f;
            for (var i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
            Assert.True(worst <= Tolerance, $"{name}: {view.Name} differs from torch by up to {worst}");
        }
    }
}
