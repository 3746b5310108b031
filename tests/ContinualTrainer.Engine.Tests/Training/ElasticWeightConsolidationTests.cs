using ContinualTrainer.Engine.IO;
using ContinualTrainer.Engine.Optim;
using ContinualTrainer.Engine.Tests.Kernels;
using ContinualTrainer.Engine.Training;

namespace ContinualTrainer.Engine.Tests.Training;

public sealed class ElasticWeightConsolidationTests
{
    private static FisherInformation RandomFisher(IReadOnlyList<OptimizerParameter> parameters, int seed) =>
        new(parameters.Select((p, i) => (p.Name, p.Shape.ToArray(), TestData.Uniform(seed + i, (int)p.Length).Select(Math.Abs).ToArray())), 1);

    private static FisherInformation Fisher(params (string Name, float[] Values)[] tensors) =>
        new(tensors.Select(t => (t.Name, new long[] { t.Values.Length }, t.Values)), 1);

    [Fact]
    public void Fisher_is_the_mean_of_the_squared_window_gradients()
    {
        using var model = TrainingSessionTests.NewModel();
        using var session = new TrainingSession(model, new TrainingOptions(TrainingMode.Full), p => new AdamW(p));
        var windows = new[] { TrainingExample.LanguageModel(TrainingSessionTests.Tokens(31, 16)), TrainingExample.LanguageModel(TrainingSessionTests.Tokens(32, 9)) };
        var perWindow = windows.Select(w =>
        {
            session.ZeroGradients();
            session.AccumulateGradients([w]);
            return TrainingSessionTests.Snapshot(session.ParameterGradients!.Tensors);
        }).ToList();

        var fisher = FisherInformation.Estimate(session, windows);

        Assert.Equal(2, fisher.Windows);
        Assert.True(fisher.Matches(session.Parameters));
        foreach (var p in session.Parameters)
        {
            var expected = Enumerable.Range(0, (int)p.Length).Select(j => (perWindow[0][p.Name][j] * perWindow[0][p.Name][j] + perWindow[1][p.Name][j] * perWindow[1][p.Name][j]) / 2).ToArray();
            TestData.AssertClose(expected, fisher[p.Name], 1e-5f, p.Name);
            Assert.All(p.GradSpan.ToArray(), g => Assert.Equal(0f, g));
        }
    }

    [Fact]
    public void Online_estimate_is_decay_times_the_old_one_plus_the_new_one()
    {
        var old = Fisher(("a", [1f, 2f]), ("b", [4f]));
        var fresh = Fisher(("a", [3f, 5f]), ("b", [0.5f]));

        var combined = FisherInformation.Combine(old, fresh, 0.5)!;

        Assert.Equal([3.5f, 6f], combined["a"]);
        Assert.Equal([2.5f], combined["b"]);
        Assert.Equal(2, combined.Windows);
    }

    [Fact]
    public void Online_estimate_starts_over_when_the_parameters_changed()
    {
        var old = Fisher(("a", [1f, 2f, 3f]));
        var fresh = Fisher(("a", [3f, 5f]));
        Assert.Same(fresh, FisherInformation.Combine(old, fresh, 0.9));
        Assert.Same(old, FisherInformation.Combine(old, null, 0.9));
    }

    [Fact]
    public void Saved_estimate_loads_back_unchanged()
    {
        var path = Path.Combine(Path.GetTempPath(), $"fisher-{Guid.NewGuid():N}.safetensors");
        try
        {
            var fisher = Fisher(("model.layers.0.self_attn.q_proj.lora_A.weight", [0.25f, 3f, 0f]), ("x", [7f]));
            fisher.Save(path);
            var loaded = FisherInformation.Load(path);
            Assert.Equal(fisher.Names.Order(), loaded.Names.Order());
            Assert.Equal([0.25f, 3f, 0f], loaded["model.layers.0.self_attn.q_proj.lora_A.weight"]);
            Assert.Equal(1, loaded.Windows);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_rejects_a_safetensors_file_that_is_not_a_fisher_estimate()
    {
        var path = Path.Combine(Path.GetTempPath(), $"not-fisher-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensorsWriter.Write(path, [new SafeTensorToWrite("a", SafeTensorDType.F32, [1], new[] { 1f })]);
            var error = Assert.Throws<SafeTensorsFormatException>(() => FisherInformation.Load(path));
            Assert.Contains("not a Fisher estimate", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Penalty_gradient_matches_finite_differences_of_the_penalty()
    {
        using var model = TrainingSessionTests.NewModel();
        using var session = new TrainingSession(model, new TrainingOptions(TrainingMode.Full), p => new AdamW(p));
        var parameters = session.Parameters;
        var ewc = new ElasticWeightConsolidation(parameters, RandomFisher(parameters, 40), weight: 3.0);
        foreach (var (p, i) in parameters.Select((p, i) => (p, i)))
        {
            var shift = TestData.Uniform(80 + i, (int)p.Length, 0.05f);
            var value = p.ValueSpan;
            for (var j = 0; j < value.Length; j++) value[j] += shift[j];
        }
        session.ZeroGradients();
        Assert.True(ewc.AddGradient(parameters) > 0);
        double Penalty()
        {
            var grads = parameters.Select(p => p.GradSpan.ToArray()).ToList();
            var penalty = ewc.AddGradient(parameters);
            for (var i = 0; i < parameters.Count; i++) grads[i].CopyTo(parameters[i].GradSpan);
            return penalty;
        }
        const float step = 1e-2f;
        foreach (var p in parameters.Where(p => p.Name.Contains("q_proj") || p.Name.Contains("norm")))
        {
            var analytic = p.GradSpan.ToArray();
            foreach (var j in new[] { 0, 7, (int)p.Length - 1 })
            {
                var saved = p.ValueSpan[j];
                p.ValueSpan[j] = saved + step;
                var plus = Penalty();
                p.ValueSpan[j] = saved - step;
                var minus = Penalty();
                p.ValueSpan[j] = saved;
                var numeric = (plus - minus) / ((double)(saved + step) - (saved - step));
                Assert.True(Math.Abs(analytic[j] - numeric) <= 1e-3 * Math.Abs(numeric) + 1e-6, $"{p.Name}[{j}]: {analytic[j]} against {numeric}");
            }
        }
    }

    [Fact]
    public void Ewc_keeps_trained_parameters_closer_to_where_the_run_started()
    {
        double Drift(double weight)
        {
            using var model = TrainingSessionTests.NewModel();
            using var session = new TrainingSession(model, new TrainingOptions(TrainingMode.Full, MaxGradNorm: null, WeightDecay: 0), p => new AdamW(p));
            var start = session.Parameters.Select(p => p.ValueSpan.ToArray()).ToList();
            var ones = new FisherInformation(session.Parameters.Select(p => (p.Name, p.Shape.ToArray(), Enumerable.Repeat(1f, (int)p.Length).ToArray())), 1);
            if (weight > 0) session.Regularizers.Add(new ElasticWeightConsolidation(session.Parameters, ones, weight));
            for (var step = 0; step < 10; step++) session.Step(TrainingSessionTests.Examples(), 1e-2);
            return session.Parameters.Select((p, i) => p.ValueSpan.ToArray().Zip(start[i], (a, b) => (double)(a - b) * (a - b)).Sum()).Sum();
        }
        var plain = Drift(0);
        var consolidated = Drift(100);
        Assert.True(consolidated < 0.5 * plain, $"squared drift {consolidated:E3} with EWC, {plain:E3} without");
    }

    [Fact]
    public void Rejects_a_fisher_estimate_for_other_parameters()
    {
        using var model = TrainingSessionTests.NewModel();
        using var session = new TrainingSession(model, new TrainingOptions(TrainingMode.Full), p => new AdamW(p));
        var error = Assert.Throws<ArgumentException>(() => new ElasticWeightConsolidation(session.Parameters, Fisher(("a", [1f])), 1.0));
        Assert.Contains("does not cover exactly the trainable parameters", error.Message);
    }
}
