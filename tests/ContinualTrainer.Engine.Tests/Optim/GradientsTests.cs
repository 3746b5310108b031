using ContinualTrainer.Engine.Optim;

namespace ContinualTrainer.Engine.Tests.Optim;

public sealed class GradientsTests
{
    [Fact]
    public void Global_norm_matches_a_hand_computation()
    {
        using var set = HandSet();
        Assert.Equal(13.0, Gradients.GlobalNorm(set.Parameters), 12);
    }

    [Fact]
    public void Clipping_scales_to_the_max_norm_and_returns_the_norm_before_clipping()
    {
        using var set = HandSet();
        var norm = Gradients.ClipGlobalNorm(set.Parameters, maxNorm: 6.5);

        Assert.Equal(13.0, norm, 12);
        var coef = 6.5 / (13.0 + 1e-6); // torch: max_norm / (total_norm + 1e-6)
        Assert.Equal(3 * coef, set["a"].GradSpan[0], 6);
        Assert.Equal(4 * coef, set["a"].GradSpan[1], 6);
        Assert.Equal(12 * coef, set["b"].GradSpan[0], 6);
        Assert.Equal(6.5, Gradients.GlobalNorm(set.Parameters), 5);
    }

    [Fact]
    public void Clipping_leaves_gradients_below_the_limit_unchanged()
    {
        using var set = HandSet();
        Assert.Equal(13.0, Gradients.ClipGlobalNorm(set.Parameters, maxNorm: 13.5), 12);
        Assert.Equal([3f, 4f], set["a"].GradSpan.ToArray());
        Assert.Equal([12f], set["b"].GradSpan.ToArray());
    }

    [Fact]
    public void Non_finite_norm_leaves_gradients_untouched()
    {
        using var set = HandSet();
        set["a"].GradSpan[0] = float.PositiveInfinity;
        Assert.True(double.IsInfinity(Gradients.ClipGlobalNorm(set.Parameters, 1.0)));
        Assert.Equal([12f], set["b"].GradSpan.ToArray());
    }

    [Fact]
    public void Global_norm_over_many_chunks_matches_a_double_sum()
    {
        using var set = new TrainableSet();
        set.Add("big", ParameterGroup.NoDecay, [100_003]);
        set.Add("small", ParameterGroup.NoDecay, [7]);
        set.RandomGradients(5);
        var expected = Math.Sqrt(set.Parameters.Sum(p => p.GradSpan.ToArray().Sum(g => (double)g * g)));
        var actual = Gradients.GlobalNorm(set.Parameters);
        Assert.True(Math.Abs(actual - expected) <= 1e-6 * expected, $"{actual} vs {expected}");
    }

    [Fact]
    public void Zero_clears_every_gradient_and_scale_multiplies_each()
    {
        using var set = HandSet();
        Gradients.Scale(set.Parameters, 0.5f);
        Assert.Equal([1.5f, 2f], set["a"].GradSpan.ToArray());
        Gradients.Zero(set.Parameters);
        Assert.All(set.Parameters, p => Assert.All(p.GradSpan.ToArray(), g => Assert.Equal(0f, g)));
    }

    [Fact]
    public void Averaged_micro_batch_gradients_equal_the_full_batch_gradient()
    {
        var problem = new LeastSquaresProblem(rows: 6, cols: 5, samples: 64, seed: 2);
        using var full = new TrainableSet();
        using var micro = new TrainableSet();
        foreach (var set in new[] { full, micro })
        {
            set.Add("w", ParameterGroup.Projections(0), [6, 5], seed: 1);
            set.Add("b", ParameterGroup.NoDecay, [6], seed: 2);
        }
        problem.AddGradient(full["w"].ValueSpan, full["b"].ValueSpan, full["w"].GradSpan, full["b"].GradSpan, 0, 64);

        micro.RandomGradients(7); // stale values that Zero must clear
        Gradients.Zero(micro.Parameters);
        for (var k = 0; k < 4; k++)
            problem.AddGradient(micro["w"].ValueSpan, micro["b"].ValueSpan, micro["w"].GradSpan, micro["b"].GradSpan, 16 * k, 16);
        Gradients.AverageMicroBatches(micro.Parameters, 4);

        foreach (var name in new[] { "w", "b" })
        {
            var expected = full[name].GradSpan.ToArray();
            var actual = micro[name].GradSpan.ToArray();
            for (var i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6, $"{name}[{i}] = {actual[i]}, full batch {expected[i]}");
        }
    }

    [Fact]
    public void Rejects_a_non_positive_max_norm_and_micro_batch_count()
    {
        using var set = HandSet();
        Assert.Throws<ArgumentOutOfRangeException>(() => Gradients.ClipGlobalNorm(set.Parameters, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gradients.AverageMicroBatches(set.Parameters, 0));
    }

    /// <summary>Gradients a = [3, 4] and b = [12]: global norm 13.</summary>
    private static TrainableSet HandSet()
    {
        var set = new TrainableSet();
        set.Add("a", ParameterGroup.NoDecay, [2]);
        set.Add("b", ParameterGroup.NoDecay, [1]);
        set["a"].GradSpan[0] = 3;
        set["a"].GradSpan[1] = 4;
        set["b"].GradSpan[0] = 12;
        return set;
    }
}
