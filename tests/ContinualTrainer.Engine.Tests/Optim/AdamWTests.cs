using ContinualTrainer.Engine.Optim;

namespace ContinualTrainer.Engine.Tests.Optim;

public sealed class AdamWTests
{
    [Fact]
    public void Several_steps_match_a_double_precision_reference_of_the_pytorch_formula()
    {
        using var set = new TrainableSet();
        var group = new ParameterGroup("decay", 0.1, Projected: false);
        set.Add("w", group, [37, 5], seed: 3);
        set.Add("b", ParameterGroup.NoDecay, [37], seed: 4);
        using var adamw = new AdamW(set.Parameters);
        var reference = new ApolloReference(new ApolloOptions { Epsilon = 1e-8 }, set.Parameters);

        for (var step = 1; step <= 6; step++)
        {
            set.RandomGradients(step);
            var lr = 1e-2 * step;
            adamw.Step(lr);
            reference.Step(lr, set.Parameters);
        }
        foreach (var p in set.Parameters)
        {
            var expected = reference.Values(p.Name);
            var actual = p.ValueSpan.ToArray();
            for (var i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 2e-6, $"{p.Name}[{i}] = {actual[i]}, reference {expected[i]}");
        }
        Assert.Equal(6, adamw.StepCount);
    }

    [Fact]
    public void Weight_decay_applies_only_to_the_group_that_sets_it()
    {
        using var set = new TrainableSet();
        var decayed = set.Add("w", new ParameterGroup("decay", 0.5, Projected: false), [8, 4], seed: 1);
        var kept = set.Add("norm.weight", ParameterGroup.NoDecay, [8], seed: 2);
        var before = set.Snapshot();
        using var adamw = new AdamW(set.Parameters);

        adamw.Step(0.1); // zero gradients: only the decay moves weights

        var factor = (float)(1 - 0.1 * 0.5);
        Assert.Equal(before["w"].Select(w => w * factor), decayed.ValueSpan.ToArray());
        Assert.Equal(before["norm.weight"], kept.ValueSpan.ToArray());
    }

    [Fact]
    public void State_is_two_moments_per_weight_named_after_the_parameter()
    {
        using var set = new TrainableSet();
        set.Add("a", ParameterGroup.NoDecay, [3, 4]);
        set.Add("b", ParameterGroup.NoDecay, [5]);
        using var adamw = new AdamW(set.Parameters);

        Assert.Equal(2 * 17 * sizeof(float), adamw.StateBytes);
        Assert.Equal(2 * 12 * sizeof(float), adamw.StateBytesOf("a"));
        Assert.Equal(["a.exp_avg", "a.exp_avg_sq", "b.exp_avg", "b.exp_avg_sq"], adamw.StateTensors.Select(t => t.Name));
        Assert.Equal([3L, 4L], adamw.StateTensors[0].Shape);
        Assert.Throws<KeyNotFoundException>(() => adamw.StateBytesOf("c"));
    }

    [Fact]
    public void Two_runs_give_bit_identical_weights()
    {
        float[] Run()
        {
            using var set = new TrainableSet();
            set.Add("w", ParameterGroup.Projections(0.01), [300, 200], seed: 9);
            using var adamw = new AdamW(set.Parameters);
            for (var step = 1; step <= 4; step++)
            {
                set.RandomGradients(step);
                adamw.Step(1e-3);
            }
            return set.Parameters[0].ValueSpan.ToArray();
        }

        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Rejects_duplicate_names_an_empty_list_and_bad_learning_rates()
    {
        using var set = new TrainableSet();
        set.Add("w", ParameterGroup.NoDecay, [2]);
        set.Add("w", ParameterGroup.NoDecay, [2]);
        Assert.Contains("'w' is listed twice", Assert.Throws<ArgumentException>(() => new AdamW(set.Parameters)).Message);
        Assert.Throws<ArgumentException>(() => new AdamW([]));
        using var adamw = new AdamW(set.Parameters.Take(1).ToList());
        Assert.Throws<ArgumentOutOfRangeException>(() => adamw.Step(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => adamw.Step(-1e-3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW(set.Parameters.Take(1).ToList(), new AdamWOptions(Beta1: 1.0)));
    }
}
