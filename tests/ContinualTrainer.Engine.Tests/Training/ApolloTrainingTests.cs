using System.Text.Json;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Optim;
using ContinualTrainer.Engine.Tokenization;
using ContinualTrainer.Engine.Training;

namespace ContinualTrainer.Engine.Tests.Training;

/// <summary>APOLLO against AdamW on a real (briefly pre-trained) model: full fine-tuning of tiny-llama for 200 steps.</summary>
[Collection(SerialCollection.Name)]
public sealed class ApolloTrainingTests
{
    private static List<TrainingExample> Batch()
    {
        var dir = SharedFixtures.Path("fixtures", "models", "tiny-llama");
        using var fixture = JsonDocument.Parse(File.ReadAllText(SharedFixtures.Path("fixtures", "parity", "tiny-llama.json")));
        var ids = BpeTokenizer.FromDirectory(dir).Encode(fixture.RootElement.GetProperty("perplexity_text").GetString()!);
        return [.. Enumerable.Range(0, 4).Select(i => TrainingExample.LanguageModel(ids[(i * 64)..((i + 1) * 64)]))];
    }

    private static (double First, double Mean, double Last) Train(Func<IReadOnlyList<OptimizerParameter>, IOptimizer> optimizer, double learningRate)
    {
        using var model = TransformerModel.Load(SharedFixtures.Path("fixtures", "models", "tiny-llama"));
        using var session = new TrainingSession(model, new TrainingOptions(TrainingMode.Full, MaxGradNorm: 1.0, WeightDecay: 0), optimizer);
        var batch = Batch();
        var first = session.EvaluateLoss(batch);
        double sum = 0;
        for (var step = 0; step < 200; step++) sum += session.Step(batch, learningRate).Loss;
        return (first, sum / 200, session.EvaluateLoss(batch));
    }

    [SharedFact]
    public void Apollo_and_apollo_mini_lower_the_training_loss_about_as_fast_as_adamw_over_200_steps()
    {
        var adamw = Train(p => new AdamW(p), 1e-3);
        // tiny-llama's projections have 64 as their smaller side: rank 16, and Scale = n / r as the paper's alpha compensation.
        var apollo = Train(p => new Apollo(p, ApolloOptions.Default with { Rank = 16, Scale = 4, Seed = 3 }), 1e-3);
        var mini = Train(p => new Apollo(p, ApolloOptions.Mini with { Seed = 3 }), 1e-3);

        // All three end near zero on this small batch; the mean training loss over the 200 steps is what tells how fast.
        foreach (var (name, run) in new[] { ("AdamW", adamw), ("APOLLO", apollo), ("APOLLO-Mini", mini) })
            Assert.True(run.Last < 0.1 * run.First, $"{name} lowered the loss only from {run.First:F3} to {run.Last:F3}");
        Assert.True(apollo.Mean <= 1.5 * adamw.Mean, $"mean loss over 200 steps: APOLLO {apollo.Mean:F3}, AdamW {adamw.Mean:F3}");
        Assert.True(mini.Mean <= 1.5 * adamw.Mean, $"mean loss over 200 steps: APOLLO-Mini {mini.Mean:F3}, AdamW {adamw.Mean:F3}");
    }
}
