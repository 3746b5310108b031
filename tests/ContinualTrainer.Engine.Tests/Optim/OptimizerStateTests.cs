using ContinualTrainer.Engine.IO;
using ContinualTrainer.Engine.Optim;
using ContinualTrainer.Engine.Tests.IO;

namespace ContinualTrainer.Engine.Tests.Optim;

public sealed class OptimizerStateTests
{
    private static readonly LeastSquaresProblem Problem = new(rows: 12, cols: 20, samples: 32, seed: 4);

    [Theory]
    [InlineData("adamw")]
    [InlineData("apollo")]
    [InlineData("apollo-mini")]
    public void Resuming_from_saved_state_continues_bit_identically(string kind)
    {
        using var temp = new TempDirectory();
        using var uninterrupted = NewSet();
        using (var optimizer = Create(kind, uninterrupted)) Train(uninterrupted, optimizer, 9);

        using var resumed = NewSet();
        using (var first = Create(kind, resumed))
        {
            Train(resumed, first, 5);
            first.Save(temp.File("state.safetensors"));
        }
        using (var second = Create(kind, resumed))
        {
            second.Load(temp.File("state.safetensors"));
            Assert.Equal(5, second.StepCount);
            Train(resumed, second, 4); // crosses the projection refresh at step 7
        }

        foreach (var p in uninterrupted.Parameters) Assert.Equal(p.ValueSpan.ToArray(), resumed[p.Name].ValueSpan.ToArray());
    }

    [Fact]
    public void Saved_state_names_the_kind_step_hyper_parameters_and_tensors()
    {
        using var temp = new TempDirectory();
        using var set = NewSet();
        using var apollo = Create("apollo", set);
        Train(set, apollo, 2);
        apollo.Save(temp.File("state.safetensors"));

        using var file = SafeTensorsFile.Open(temp.File("state.safetensors"));
        Assert.Equal("apollo", file.Metadata["optimizer"]);
        Assert.Equal("2", file.Metadata["step"]);
        Assert.Equal("17", file.Metadata["seed"]);
        Assert.Equal("4", file.Metadata["rank"]);
        Assert.Equal("3", file.Metadata["update_proj_gap"]);
        Assert.Equal("0.1", file.Metadata["weight_decay.projections"]);
        Assert.Equal(
            ["b.exp_avg", "b.exp_avg_sq", "w.exp_avg", "w.exp_avg_sq", "w.limiter_norm", "w.projection_index"],
            file.Tensors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([4L, 20L], file.Tensors["w.exp_avg"].Shape);
        Assert.Equal(apollo.StateTensors.Single(t => t.Name == "w.exp_avg_sq").Span.ToArray(), file.ReadFloat32("w.exp_avg_sq"));
    }

    [Fact]
    public void Load_refuses_state_of_another_kind()
    {
        using var temp = new TempDirectory();
        using var set = NewSet();
        using (var adamw = Create("adamw", set)) adamw.Save(temp.File("s.safetensors"));
        using var mini = Create("apollo-mini", set);
        var error = Assert.Throws<OptimizerStateException>(() => mini.Load(temp.File("s.safetensors")));
        Assert.Contains("holds 'adamw' optimizer state; this optimizer is 'apollo-mini'", error.Message);
    }

    [Fact]
    public void Load_refuses_state_of_another_parameter_set()
    {
        using var temp = new TempDirectory();
        using var set = NewSet();
        using (var adamw = Create("adamw", set)) adamw.Save(temp.File("s.safetensors"));

        using var renamed = new TrainableSet();
        renamed.Add("w", ParameterGroup.Projections(0.1), [12, 20]);
        renamed.Add("bias", ParameterGroup.NoDecay, [12]);
        using var other = new AdamW(renamed.Parameters);
        Assert.Contains("tensor 'bias.exp_avg' is missing", Assert.Throws<OptimizerStateException>(() => other.Load(temp.File("s.safetensors"))).Message);

        using var fewer = new TrainableSet();
        fewer.Add("w", ParameterGroup.Projections(0.1), [12, 20]);
        using var smaller = new AdamW(fewer.Parameters);
        Assert.Contains("tensor 'b.exp_avg' belongs to no parameter", Assert.Throws<OptimizerStateException>(() => smaller.Load(temp.File("s.safetensors"))).Message);
    }

    [Fact]
    public void Load_refuses_another_rank_or_seed()
    {
        using var temp = new TempDirectory();
        using var set = NewSet();
        using (var apollo = Create("apollo", set)) apollo.Save(temp.File("s.safetensors"));

        using var otherRank = new Apollo(set.Parameters, new ApolloOptions { Rank = 5, Seed = 17 });
        Assert.Contains("tensor 'w.exp_avg' has shape [4, 20], expected [5, 20]",
            Assert.Throws<OptimizerStateException>(() => otherRank.Load(temp.File("s.safetensors"))).Message);
        using var otherSeed = new Apollo(set.Parameters, new ApolloOptions { Rank = 4, Seed = 18 });
        Assert.Contains("seed '17'; this optimizer uses seed 18",
            Assert.Throws<OptimizerStateException>(() => otherSeed.Load(temp.File("s.safetensors"))).Message);
    }

    [Fact]
    public void Load_refuses_a_safetensors_file_that_is_not_optimizer_state()
    {
        using var temp = new TempDirectory();
        SafeTensorsWriter.Write(temp.File("model.safetensors"), [new SafeTensorToWrite("w", SafeTensorDType.F32, [1], new float[] { 1 })]);
        using var set = NewSet();
        using var adamw = Create("adamw", set);
        Assert.Contains("not optimizer state", Assert.Throws<OptimizerStateException>(() => adamw.Load(temp.File("model.safetensors"))).Message);
    }

    private static TrainableSet NewSet()
    {
        var set = new TrainableSet();
        set.Add("w", ParameterGroup.Projections(0.1), [Problem.Rows, Problem.Cols], seed: 1, scale: 0.1f);
        set.Add("b", ParameterGroup.NoDecay, [Problem.Rows]);
        return set;
    }

    private static IOptimizer Create(string kind, TrainableSet set) => kind switch
    {
        "adamw" => new AdamW(set.Parameters),
        "apollo" => new Apollo(set.Parameters, new ApolloOptions { Rank = 4, UpdateProjectionGap = 3, Seed = 17 }),
        _ => new Apollo(set.Parameters, ApolloOptions.Mini with { UpdateProjectionGap = 3, Seed = 17 }),
    };

    /// <summary>Steps on the least-squares gradient at the current weights.</summary>
    private static void Train(TrainableSet set, IOptimizer optimizer, int steps)
    {
        for (var i = 0; i < steps; i++)
        {
            Gradients.Zero(set.Parameters);
            Problem.AddGradient(set["w"].ValueSpan, set["b"].ValueSpan, set["w"].GradSpan, set["b"].GradSpan, 0, Problem.Samples);
            optimizer.Step(1e-2);
        }
    }
}
