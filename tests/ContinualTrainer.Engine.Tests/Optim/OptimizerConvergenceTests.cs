using ContinualTrainer.Engine.Optim;

namespace ContinualTrainer.Engine.Tests.Optim;

public sealed class OptimizerConvergenceTests
{
    private const int Steps = 200;

    [Fact]
    public void Apollo_and_apollo_mini_reduce_least_squares_about_as_fast_as_adamw()
    {
        var problem = new LeastSquaresProblem(rows: 48, cols: 24, samples: 96, seed: 1);
        var initial = problem.Loss(new float[48 * 24], new float[48]);
        var adamw = Train(problem, set => new AdamW(set.Parameters));
        // Rank 8 of the projected side 24, with the paper's compensation α = sqrt(n/r), i.e. scale n/r = 3.
        var apollo = Train(problem, set => new Apollo(set.Parameters, new ApolloOptions { Rank = 8, Scale = 3 }));
        var mini = Train(problem, set => new Apollo(set.Parameters, ApolloOptions.Mini));

        Assert.True(adamw < 0.05 * initial, $"AdamW only reached {adamw} from {initial}");
        Assert.True(apollo < 2 * adamw, $"APOLLO reached {apollo}, AdamW {adamw} (initial {initial})");
        Assert.True(mini < 2 * adamw, $"APOLLO-Mini reached {mini}, AdamW {adamw} (initial {initial})");
    }

    /// <summary>The loss after <see cref="Steps"/> full-batch steps from W = 0, b = 0.</summary>
    private static double Train(LeastSquaresProblem problem, Func<TrainableSet, IOptimizer> create)
    {
        using var set = new TrainableSet();
        var w = set.Add("w", ParameterGroup.Projections(0), [problem.Rows, problem.Cols]);
        var b = set.Add("b", ParameterGroup.NoDecay, [problem.Rows]);
        using var optimizer = create(set);
        for (var step = 0; step < Steps; step++)
        {
            Gradients.Zero(set.Parameters);
            problem.AddGradient(w.ValueSpan, b.ValueSpan, w.GradSpan, b.GradSpan, 0, problem.Samples);
            optimizer.Step(1e-2);
        }
        return problem.Loss(w.ValueSpan, b.ValueSpan);
    }
}
