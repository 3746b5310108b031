using ContinualTrainer.Configuration;
using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Training;

/// <summary>
/// A run's peak memory, estimated before it starts from the model shape and the Training settings: the weights
/// (and a second copy for the after-evaluation), gradients and optimizer state of what is trained, and the
/// activations of one micro-batch (kept for the backward) and their gradients, and EWC's Fisher and anchor values.
/// </summary>
public static class MemoryEstimate
{
    /// <summary>The runtime, tokenizer and evaluation buffers that do not scale with the model.</summary>
    public const long BaseBytes = 300L << 20;

    public static long PeakBytes(ModelConfig config, TrainingRunOptions training)
    {
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
        var perToken = config.NumLayers * (6 * c + qkv + config.QDim + 3 * inner) + c;
        long activations = 2L * perToken * training.BatchTokens + (long)training.BatchTokens * config.VocabSize / 4;
        // EWC keeps the Fisher and the run's starting values of every trainable parameter (and a third copy while estimating).
        var ewc = training.EwcWeight > 0 ? 3 * trainable : 0;
        return BaseBytes + 4 * (2 * weights + trainable + optimizerState + activations + ewc);
    }

    public static long PeakMegabytes(ModelConfig config, TrainingRunOptions training) => (PeakBytes(config, training) + (1 << 20) - 1) >> 20;
}
