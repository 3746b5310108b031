using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using ContinualTrainer.Engine.Lora;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Optim;
using ContinualTrainer.Engine.Training;
using ContinualTrainer.Guard;
using ContinualTrainer.Training;

namespace ContinualTrainer.Demo;

/// <summary>
/// Trains a model by one <see cref="DemoRecipe"/> as the daemon's runner trains (packing, schedule, clipping,
/// optimizer, LoRA adapters) and measures the learning curves every few steps: general perplexity and the task's
/// validation loss, a LoRA model being measured with its adapters merged into a copy of the base weights, as the
/// daemon loads a LoRA version.
/// </summary>
public static class DemoRun
{
    /// <summary>
    /// Trains <paramref name="model"/> in place; on return it holds the trained weights (LoRA adapters merged into it).
    /// </summary>
    /// <param name="points">Curve points wanted after step 0 (the last step is always one).</param>
    /// <param name="seed">Orders the items and picks the replay windows.</param>
    /// <param name="progress">Receives one line per curve point.</param>
    /// <exception cref="RunFailedException">A step had a non-finite loss or gradient.</exception>
    public static DemoTrace Train(TransformerModel model, DemoRecipe recipe, DemoData data, int points, int seed,
        Action<string>? progress, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(points, 1);
        var clock = Stopwatch.StartNew();
        var replay = ReplayWindows(data.ReplayStream, data.TrainDecisionTokens, recipe.ReplayFraction, recipe.ReplayWindowTokens, seed);
        List<TrainingExample> items = [.. data.Train, .. replay];
        new Random(seed).Shuffle(CollectionsMarshal.AsSpan(items));
        var microBatches = TrainingRunner.Pack(items, recipe.BatchTokens);
        var stepsPerEpoch = (microBatches.Count + recipe.GradientAccumulation - 1) / recipe.GradientAccumulation;
        var totalSteps = Math.Max(1, stepsPerEpoch * recipe.Epochs);
        var schedule = new LearningRateSchedule(recipe.LearningRate, (int)Math.Round(recipe.WarmupFraction * totalSteps), totalSteps,
            recipe.LearningRate * recipe.MinLearningRateFraction);
        var every = Math.Max(1, (totalSteps + points - 1) / points);

        using var adapters = recipe.Lora is { } lora ? new LoraAdapters(model.Config, lora) : null;
        adapters?.InitializeRandom();
        // LoRA is measured merged into a copy of the base weights; the copy's random start is overwritten before every use.
        using var merged = adapters is null ? null : TransformerModel.CreateRandom(model.Config, seed);
        using var session = new TrainingSession(model, new TrainingOptions(recipe.Mode, recipe.MaxGradNorm, recipe.WeightDecay),
            parameters => CreateOptimizer(recipe, parameters, seed), adapters);

        var series = new List<DemoPoint> { Measure(0, double.NaN) };
        long tokens = 0;
        var step = 0;
        for (var epoch = 0; epoch < recipe.Epochs; epoch++)
        {
            for (var first = 0; first < microBatches.Count; first += recipe.GradientAccumulation)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var group = microBatches.Skip(first).Take(recipe.GradientAccumulation).ToList();
                step++;
                var result = session.Step(group, schedule.At(step));
                tokens += result.Tokens;
                if (!double.IsFinite(result.Loss) || !result.Applied)
                    throw new RunFailedException($"{recipe.Name}: non-finite loss or gradient at step {step} of {totalSteps} (loss {result.Loss}, gradient norm {result.GradientNorm})");
                if (step % every == 0 || step == totalSteps) series.Add(Measure(step, result.Loss));
            }
        }
        adapters?.Merge(model.Parameters);
        return new DemoTrace(series, totalSteps, data.Train.Count, replay.Count, tokens, clock.Elapsed.TotalSeconds);

        DemoPoint Measure(int at, double trainingLoss)
        {
            var report = ModelEvaluator.Evaluate(Evaluated(), data.Tokenizer, data.Curves, cancellationToken);
            var point = new DemoPoint(at, report.GeneralPerplexity, report.DecisionLoss);
            progress?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"{recipe.Name}: step {at}/{totalSteps}{(double.IsNaN(trainingLoss) ? "" : $", training loss {trainingLoss:F3}")}, general perplexity {point.GeneralPerplexity:F2}, task loss {point.TaskLoss:F3} ({clock.Elapsed.TotalSeconds:F0} s)"));
            return point;
        }

        TransformerModel Evaluated()
        {
            if (adapters is null) return model;
            foreach (var (from, to) in model.Parameters.Tensors.Zip(merged!.Parameters.Tensors)) from.Span.CopyTo(to.Span);
            adapters.Merge(merged.Parameters);
            return merged;
        }
    }

    /// <summary>
    /// General replay as the daemon's snapshot composes it: whole, non-overlapping windows of the stream, chosen in
    /// seeded order, as many as make <paramref name="fraction"/> of the trained tokens (a window trains all its tokens
    /// but the first); fewer when the stream is short.
    /// </summary>
    public static IReadOnlyList<TrainingExample> ReplayWindows(int[] stream, long taskTokens, double fraction, int window, int seed)
    {
        if (fraction <= 0) return [];
        var slots = stream.Length / window;
        var wanted = (long)Math.Round(fraction / (1 - fraction) * taskTokens / (window - 1), MidpointRounding.AwayFromZero);
        var order = Enumerable.Range(0, slots).ToArray();
        new Random(unchecked(seed * 31 + 7)).Shuffle(order);
        return [.. order.Take((int)Math.Min(wanted, slots)).Select(slot => TrainingExample.LanguageModel(stream.AsSpan(slot * window, window).ToArray()))];
    }

    private static IOptimizer CreateOptimizer(DemoRecipe recipe, IReadOnlyList<OptimizerParameter> parameters, int seed) => recipe.Optimizer switch
    {
        "apollo" => new Apollo(parameters, ApolloOptions.Default with { Rank = recipe.ApolloRank, Seed = seed }),
        "apollo-mini" => new Apollo(parameters, ApolloOptions.Mini with { Seed = seed }),
        _ => new AdamW(parameters),
    };
}
