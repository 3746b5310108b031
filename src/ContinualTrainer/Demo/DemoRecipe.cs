using System.Globalization;
using ContinualTrainer.Configuration;
using ContinualTrainer.Engine.Lora;
using ContinualTrainer.Engine.Training;

namespace ContinualTrainer.Demo;

/// <summary>
/// How one run of the forgetting demonstration trains: mode, method (full fine-tuning, or LoRA when
/// <see cref="Lora"/> is set), optimizer, learning-rate schedule, batching and the share of general replay.
/// <see cref="Naive"/> is what fine-tuning without care looks like; <see cref="Defaults"/> is the daemon's own run.
/// </summary>
public sealed record DemoRecipe
{
    /// <summary>Short key: <c>naive</c> or <c>defaults</c>.</summary>
    public required string Name { get; init; }

    /// <summary>What the run is, for people (legends and tables).</summary>
    public required string Title { get; init; }

    public required TrainingMode Mode { get; init; }

    /// <summary>The adapters trained (base weights frozen); null trains every weight.</summary>
    public LoraConfig? Lora { get; init; }

    /// <summary><c>adamw</c>, <c>apollo</c> or <c>apollo-mini</c>, as <c>Training:Optimizer</c>.</summary>
    public required string Optimizer { get; init; }

    public int ApolloRank { get; init; } = 256;

    public required double LearningRate { get; init; }

    public required int Epochs { get; init; }

    public required double WarmupFraction { get; init; }

    public required double MinLearningRateFraction { get; init; }

    /// <summary>Global-norm clipping; null: none.</summary>
    public double? MaxGradNorm { get; init; }

    public required double WeightDecay { get; init; }

    /// <summary>Token budget of a micro-batch (packed as the daemon packs).</summary>
    public required int BatchTokens { get; init; }

    public required int GradientAccumulation { get; init; }

    /// <summary>Share of the trained tokens that are general replay windows (0: none).</summary>
    public required double ReplayFraction { get; init; }

    public required int ReplayWindowTokens { get; init; }

    /// <summary>
    /// Full fine-tuning through every position at a high learning rate for several epochs, no replay and no guard
    /// (batching, warmup and clipping as the daemon's, so only the forgetting-relevant choices differ).
    /// </summary>
    public static DemoRecipe Naive(double learningRate, int epochs)
    {
        // The defaults' schedule, clipping and batching; everything that makes it gentle taken away.
        return Defaults(new TrainingRunOptions(), new DatasetOptions(), seed: 0) with
        {
            Name = "naive",
            Title = "naive full fine-tuning",
            Mode = TrainingMode.Full,
            Lora = null,
            Optimizer = "adamw",
            LearningRate = learningRate,
            Epochs = epochs,
            ReplayFraction = 0,
        };
    }

    /// <summary>
    /// The daemon's run as its options records default it: <paramref name="training"/> and <paramref name="dataset"/>
    /// are meant to be <c>new TrainingRunOptions()</c> and <c>new DatasetOptions()</c>. The adapters start from
    /// <paramref name="seed"/>. EWC and the functional anchor (off by default) are not part of the demonstration.
    /// </summary>
    public static DemoRecipe Defaults(TrainingRunOptions training, DatasetOptions dataset, int seed)
    {
        if (training.EwcWeight > 0 || training.AnchorWeight > 0)
            throw new ArgumentException("the demonstration does not reproduce EWC or the functional anchor; their weights must be 0", nameof(training));
        return new DemoRecipe
        {
            Name = "defaults",
            Title = "daemon defaults",
            Mode = training.Mode == "full" ? TrainingMode.Full : TrainingMode.Frozen,
            Lora = training.IsLora ? new LoraConfig(training.LoraRank, training.LoraAlpha, training.LoraTargets, training.UseRsLora, 0, seed) : null,
            Optimizer = training.Optimizer,
            ApolloRank = training.ApolloRank,
            LearningRate = training.LearningRate,
            Epochs = training.Epochs,
            WarmupFraction = training.WarmupFraction,
            MinLearningRateFraction = training.MinLearningRateFraction,
            MaxGradNorm = training.MaxGradNorm > 0 ? training.MaxGradNorm : null,
            WeightDecay = training.WeightDecay,
            BatchTokens = training.BatchTokens,
            GradientAccumulation = training.GradientAccumulation,
            ReplayFraction = dataset.ReplayFraction,
            ReplayWindowTokens = dataset.ReplayWindowTokens,
        };
    }

    /// <summary>One line: method, mode, optimizer, learning rate, epochs, replay.</summary>
    public string Describe()
    {
        var method = Lora is { } lora
            ? $"LoRA rank {lora.Rank} alpha {lora.Alpha.ToString("0.##", CultureInfo.InvariantCulture)} on {string.Join(",", lora.TargetModules.Select(m => m.Replace("_proj", "", StringComparison.Ordinal)))}"
            : "full fine-tuning";
        var mode = Mode == TrainingMode.Frozen ? "context-frozen" : "full backpropagation";
        var replay = ReplayFraction > 0
            ? $"{ReplayFraction.ToString("0.##", CultureInfo.InvariantCulture)} general replay in windows of {ReplayWindowTokens}"
            : "no replay";
        var epochs = Epochs == 1 ? "1 epoch" : $"{Epochs} epochs";
        return $"{method}, {mode}, {Optimizer} lr {LearningRate.ToString("0.###e0", CultureInfo.InvariantCulture)}, {epochs}, {replay}";
    }
}
