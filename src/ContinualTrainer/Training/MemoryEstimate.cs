using ContinualTrainer.Configuration;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Training;

namespace ContinualTrainer.Training;

/// <summary>
/// A run's peak memory, estimated before it starts from the model shape and the settings, with the engine's own arena
/// sizes (<see cref="ActivationTensors.Floats"/>, <see cref="ActivationGradients.Floats"/>, <see cref="KvCache.Floats"/>)
/// for the run's own micro-batches: the weights twice (the run's starting model and the trained one),
/// what is trained with its gradient and optimizer state, EWC's Fisher and anchor values, and the larger of the training
/// arenas and the evaluation arenas. An upper bound by construction, so a run that fits its estimate fits the machine.
/// </summary>
public static class MemoryEstimate
{
    /// <summary>The runtime, tokenizer, dataset and managed buffers that do not scale with the model.</summary>
    public const long BaseBytes = 300L << 20;

    /// <summary>Rows the evaluation batches hold (<see cref="Guard.ModelEvaluator.BatchSize"/>).</summary>
    private const int EvaluationRows = Guard.ModelEvaluator.BatchSize;

    public static long PeakBytes(ModelConfig config, DaemonOptions options, IEnumerable<IReadOnlyList<TrainingExample>> microBatches)
    {
        var training = options.Training;
        long weights = ParameterTensors.CountFloats(config);
        long c = config.HiddenSize, inner = config.IntermediateSize, qkv = config.QDim + 2L * config.KvDim;
        long trainable, optimizerState;
        if (training.IsLora)
        {
            // Adapters: rank x (in + out) per targeted projection per layer; gradient and two moments each.
            var perLayer = training.LoraRank * ((c + qkv) + (config.QDim + c) + 2 * (c + inner) + (inner + c));
            trainable = perLayer * config.NumLayers;
            optimizerState = 2 * trainable;
        }
        else
        {
            trainable = weights;
            optimizerState = training.Optimizer == "adamw" ? 2 * weights : 2 * weights / 4; // APOLLO keeps low-rank moments for the matrices
        }
        // EWC keeps the Fisher and the run's starting values of every trainable parameter (and a third copy while estimating).
        var ewc = training.EwcWeight > 0 ? 3 * trainable : 0;
        var resident = 2 * weights + 2 * trainable + optimizerState + ewc;
        return BaseBytes + sizeof(float) * (resident + Math.Max(TrainingArenaFloats(config, options, microBatches), EvaluationArenaFloats(config, options)));
    }

    public static long PeakMegabytes(ModelConfig config, DaemonOptions options, IEnumerable<IReadOnlyList<TrainingExample>> microBatches) =>
        (PeakBytes(config, options, microBatches) + (1 << 20) - 1) >> 20;

    /// <summary>
    /// The engine's arenas for the run's own micro-batches (they grow to the largest rows, widths and keys among them),
    /// the LoRA intermediates (rank-wide per projection per layer, and dropout masks) and the anchor's cached reference.
    /// </summary>
    private static long TrainingArenaFloats(ModelConfig config, DaemonOptions options, IEnumerable<IReadOnlyList<TrainingExample>> microBatches)
    {
        var training = options.Training;
        var mode = training.Mode == "full" ? TrainingMode.Full : TrainingMode.Frozen;
        var (floats, trained, context) = TrainingSession.ArenaSize(config, mode, microBatches);
        if (training.IsLora)
            floats += trained * (config.NumLayers * 7L * training.LoraRank + Math.Max(config.HiddenSize, config.IntermediateSize)) + context * 7L * training.LoraRank;
        if (training.AnchorWeight > 0) floats += 2L * trained * (training.AnchorTopK + 1);
        return floats;
    }

    /// <summary>Perplexity windows and validation batches, evaluated <see cref="EvaluationRows"/> rows at a time.</summary>
    private static long EvaluationArenaFloats(ModelConfig config, DaemonOptions options)
    {
        var window = Math.Min(options.Guard.PerplexityWindow, config.MaxPositionEmbeddings);
        var perplexity = ActivationTensors.Floats(config, EvaluationRows, window, maxLogitRows: EvaluationRows * (window - 1));
        var longest = options.Dataset.MaxContextTokens + options.Dataset.MaxDecisionTokens;
        var validation = ActivationTensors.Floats(config, EvaluationRows, longest, maxLogitRows: EvaluationRows * options.Dataset.MaxDecisionTokens);
        return Math.Max(perplexity, validation);
    }
}
