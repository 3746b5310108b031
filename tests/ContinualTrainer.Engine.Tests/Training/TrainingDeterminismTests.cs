using ContinualTrainer.Engine.Lora;
using ContinualTrainer.Engine.Optim;
using ContinualTrainer.Engine.Tests.IO;
using ContinualTrainer.Engine.Training;

namespace ContinualTrainer.Engine.Tests.Training;

/// <summary>Bit-for-bit comparisons of training runs (run alone: see <see cref="SerialCollection"/>).</summary>
[Collection(SerialCollection.Name)]
public sealed class TrainingDeterminismTests
{
    [Theory]
    [InlineData(TrainingMode.Frozen, false)]
    [InlineData(TrainingMode.Full, false)]
    [InlineData(TrainingMode.Frozen, true)]
    public void Two_runs_with_the_same_seed_give_bit_identical_weights(TrainingMode mode, bool lora)
    {
        Dictionary<string, float[]> Run()
        {
            using var model = TrainingSessionTests.NewModel();
            using var adapters = lora ? new LoraAdapters(TrainingSessionTests.Config, new LoraConfig(4, 8, LoraTargets.All, Dropout: 0.1, Seed: 3)) : null;
            adapters?.InitializeRandom();
            using var session = new TrainingSession(model, new TrainingOptions(mode), p => new AdamW(p), adapters);
            for (var step = 0; step < 3; step++) session.Step(TrainingSessionTests.Examples(), 1e-3);
            return TrainingSessionTests.Snapshot(adapters is null ? model.Parameters.Tensors : adapters.Modules.SelectMany(m => new[] { m.A, m.B }));
        }
        var first = Run();
        var second = Run();
        Assert.All(first, pair => Assert.True(pair.Value.AsSpan().SequenceEqual(second[pair.Key]), $"{pair.Key} differs between runs"));
    }

    [Fact]
    public void A_resumed_run_continues_bit_identically()
    {
        using var dir = new TempDirectory();
        var examples = TrainingSessionTests.Examples();
        using var straight = TrainingSessionTests.NewModel();
        using (var session = new TrainingSession(straight, new TrainingOptions(), p => new AdamW(p)))
        {
            for (var step = 0; step < 3; step++) session.Step(examples, 1e-3);
        }

        using var resumed = TrainingSessionTests.NewModel();
        using (var session = new TrainingSession(resumed, new TrainingOptions(), p => new AdamW(p)))
        {
            for (var step = 0; step < 2; step++) session.Step(examples, 1e-3);
            session.Optimizer.Save(dir.File("optimizer.safetensors"));
        }
        using (var session = new TrainingSession(resumed, new TrainingOptions(), p => new AdamW(p)))
        {
            session.Optimizer.Load(dir.File("optimizer.safetensors"));
            session.Step(examples, 1e-3);
        }
        Assert.All(straight.Parameters.Tensors, v => Assert.True(v.Span.SequenceEqual(resumed.Parameters[v.Name].Span), v.Name));
    }
}
