using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Optim;

namespace ContinualTrainer.Engine.Tests.Optim;

public sealed unsafe class ApolloTests
{
    [Theory]
    [InlineData(ApolloScaling.Channel, 12, 8, 4)]
    [InlineData(ApolloScaling.Channel, 8, 12, 4)]
    [InlineData(ApolloScaling.Channel, 6, 6, 9)]     // rank above the projected side
    [InlineData(ApolloScaling.Tensor, 12, 8, 1)]
    [InlineData(ApolloScaling.Tensor, 8, 12, 2)]
    public void Steps_match_a_naive_double_precision_reference(ApolloScaling scaling, int rows, int cols, int rank)
    {
        var options = new ApolloOptions { Scaling = scaling, Rank = rank, Scale = scaling == ApolloScaling.Tensor ? 128 : 1, UpdateProjectionGap = 3, Seed = 5 };
        using var set = new TrainableSet();
        set.Add("w", ParameterGroup.Projections(0.1), [rows, cols], seed: 1);
        set.Add("bias", ParameterGroup.NoDecay, [rows], seed: 2);
        set.Add("head", ParameterGroup.Head(0.1), [5, 3], seed: 3);
        var initial = set.Snapshot();
        using var apollo = new Apollo(set.Parameters, options);
        var reference = new ApolloReference(options, set.Parameters);

        for (var step = 1; step <= 8; step++)   // projections refreshed at steps 1, 4 and 7
        {
            set.RandomGradients(step, scale: step % 2 == 0 ? 0.5f : 2f); // norm swings exercise the limiter
            apollo.Step(1e-2);
            reference.Step(1e-2, set.Parameters);
        }

        foreach (var p in set.Parameters)
        {
            var expected = reference.Values(p.Name);
            var actual = p.ValueSpan.ToArray();
            for (var i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 2e-6, $"{p.Name}[{i}] = {actual[i]}, reference {expected[i]}");
            Assert.True(actual.Zip(initial[p.Name]).Max(x => Math.Abs(x.First - x.Second)) > 1e-3, $"{p.Name} did not move");
        }
    }

    [Fact]
    public void Projection_is_regenerated_from_the_seed_every_gap_steps()
    {
        using var set = new TrainableSet();
        set.Add("w", ParameterGroup.Projections(0), [12, 8], seed: 1);
        using var apollo = new Apollo(set.Parameters, new ApolloOptions { Rank = 4, UpdateProjectionGap = 3, Seed = 11 });
        var seen = new List<float[]>();
        for (var step = 1; step <= 7; step++)
        {
            set.RandomGradients(step);
            apollo.Step(1e-3);
            seen.Add(apollo.ProjectionOf("w").Span.ToArray());
        }

        Assert.Equal(Expected(0), seen[0]);
        Assert.Equal(seen[0], seen[1]);
        Assert.Equal(seen[0], seen[2]);
        Assert.Equal(Expected(1), seen[3]);
        Assert.NotEqual(seen[2], seen[3]);
        Assert.Equal(Expected(2), seen[6]);
        Assert.Equal(2f, apollo.StateTensors.Single(t => t.Name == "w.projection_index").Span[0]);

        static float[] Expected(long refresh)
        {
            var q = new float[4 * 8];
            fixed (float* p = q) RandomProjection.Fill(p, 4, 8, RandomProjection.Key(11, "w", refresh));
            return q;
        }
    }

    [Fact]
    public void Moments_carry_over_a_projection_refresh()
    {
        using var set = new TrainableSet();
        var w = set.Add("w", ParameterGroup.Projections(0), [6, 10], seed: 1); // wide: R = P·G, (r, 10)
        using var apollo = new Apollo(set.Parameters, new ApolloOptions { Rank = 3, UpdateProjectionGap = 2 });
        var expAvg = apollo.StateTensors.Single(t => t.Name == "w.exp_avg");
        set.RandomGradients(1);
        apollo.Step(1e-3);
        var before = expAvg.Span.ToArray();
        set.RandomGradients(2);
        apollo.Step(1e-3);
        var beforeRefresh = expAvg.Span.ToArray();
        set.RandomGradients(3);
        apollo.Step(1e-3);                  // step 3 draws a new P

        var p = apollo.ProjectionOf("w").Span.ToArray();
        var g = w.GradSpan.ToArray();
        for (var i = 0; i < 3; i++)
        {
            for (var c = 0; c < 10; c++)
            {
                double r = 0;
                for (var s = 0; s < 6; s++) r += p[i * 6 + s] * g[s * 10 + c];
                var expected = 0.9 * beforeRefresh[i * 10 + c] + 0.1 * r;
                Assert.True(Math.Abs(expected - expAvg.Span[i * 10 + c]) <= 1e-6, $"exp_avg[{i}, {c}] = {expAvg.Span[i * 10 + c]}, expected {expected}");
            }
        }
        Assert.NotEqual(before, beforeRefresh);
    }

    [Fact]
    public void State_is_two_r_times_the_unprojected_side_plus_two_floats_per_matrix()
    {
        using var set = new TrainableSet();
        set.Add("tall", ParameterGroup.Projections(0.1), [48, 24]);
        set.Add("wide", ParameterGroup.Projections(0.1), [24, 48]);
        set.Add("square", ParameterGroup.Projections(0.1), [10, 10]);
        set.Add("bias", ParameterGroup.NoDecay, [48]);
        set.Add("embedding", ParameterGroup.NoDecay, [20, 5]);
        using var apollo = new Apollo(set.Parameters, new ApolloOptions { Rank = 8 });
        using var mini = new Apollo(set.Parameters, ApolloOptions.Mini);

        Assert.Equal((2 * 8 * 48 + 2) * 4, apollo.StateBytesOf("tall"));
        Assert.Equal((2 * 8 * 48 + 2) * 4, apollo.StateBytesOf("wide"));
        Assert.Equal((2 * 8 * 10 + 2) * 4, apollo.StateBytesOf("square"));
        Assert.Equal(2 * 48 * 4, apollo.StateBytesOf("bias"));
        Assert.Equal(2 * 100 * 4, apollo.StateBytesOf("embedding"));
        Assert.Equal((770 + 770 + 162 + 96 + 200) * 4, apollo.StateBytes);
        Assert.Equal((2 * 1 * 48 + 2) * 4, mini.StateBytesOf("tall"));
        Assert.Equal(((2 * 48 + 2) * 2 + (2 * 10 + 2) + 96 + 200) * 4, mini.StateBytes);
        Assert.Equal([8L, 48L], apollo.StateTensors.Single(t => t.Name == "wide.exp_avg").Shape);
        Assert.Equal([1L], apollo.StateTensors.Single(t => t.Name == "wide.limiter_norm").Shape);
        Assert.Equal(8 * (24 + 24 + 10) * 4, apollo.ProjectionCacheBytes);
    }

    [SharedFact]
    public void State_bytes_for_the_smollm2_135m_shape()
    {
        var config = ModelConfigLoader.Load(SharedFixtures.Path("bench", "smollm2-135m-shape.json"));
        var tensors = HfCheckpoint.ExpectedTensors(config).Select(t => (t.Shape, Group: OptimizerParameters.DefaultGroup(t.Name, 0.01))).ToList();
        long Bytes(Func<long[], ParameterGroup, long> floats) => 4 * tensors.Sum(t => floats(t.Shape, t.Group));

        // 134,515,008 weights (tied embeddings); hand-computed from the shape:
        // AdamW: 2 moments per weight.
        Assert.Equal(4L * 2 * 134_515_008, Bytes((s, _) => AdamW.StateFloats(s)));
        // APOLLO r = 256: per layer q, k, v, o have max side 576 and gate, up, down 1536: 4·(2·256·576 + 2) + 3·(2·256·1536 + 2);
        // norms, embedding and final norm on AdamW: 30·2·2·576 + 2·49152·576 + 2·576.
        const long apolloFloats = 30 * (4 * (2 * 256 * 576 + 2) + 3 * (2 * 256 * 1536 + 2) + 2 * 2 * 576) + 2 * 49152 * 576 + 2 * 576;
        Assert.Equal(4 * apolloFloats, Bytes((s, g) => Apollo.StateFloats(s, g, ApolloOptions.Default)));
        const long miniFloats = 30 * (4 * (2 * 576 + 2) + 3 * (2 * 1536 + 2) + 2 * 2 * 576) + 2 * 49152 * 576 + 2 * 576;
        Assert.Equal(4 * miniFloats, Bytes((s, g) => Apollo.StateFloats(s, g, ApolloOptions.Mini)));
    }

    [Fact]
    public void Two_runs_with_the_same_seed_give_bit_identical_weights()
    {
        (float[], float[]) Run()
        {
            using var set = new TrainableSet();
            set.Add("w", ParameterGroup.Projections(0.01), [300, 200], seed: 9);
            set.Add("b", ParameterGroup.NoDecay, [300], seed: 10);
            using var apollo = new Apollo(set.Parameters, new ApolloOptions { Rank = 16, UpdateProjectionGap = 4, Seed = 3 });
            for (var step = 1; step <= 9; step++)
            {
                set.RandomGradients(step);
                apollo.Step(1e-3);
            }
            return (set["w"].ValueSpan.ToArray(), set["b"].ValueSpan.ToArray());
        }

        var (w1, b1) = Run();
        var (w2, b2) = Run();
        Assert.Equal(w1, w2);
        Assert.Equal(b1, b2);
    }

    [Fact]
    public void Default_and_mini_options_follow_the_paper()
    {
        Assert.Equal((ApolloScaling.Channel, 256, 1.0, 200), (ApolloOptions.Default.Scaling, ApolloOptions.Default.Rank, ApolloOptions.Default.Alpha, ApolloOptions.Default.UpdateProjectionGap));
        Assert.Equal((ApolloScaling.Tensor, 1, Math.Sqrt(128)), (ApolloOptions.Mini.Scaling, ApolloOptions.Mini.Rank, ApolloOptions.Mini.Alpha));
        Assert.Equal("apollo-mini", ApolloOptions.Mini.Kind);
        Assert.Throws<ArgumentOutOfRangeException>(() => (ApolloOptions.Default with { Rank = 0 }).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => (ApolloOptions.Default with { UpdateProjectionGap = 0 }).Validate());
    }
}
