using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Engine.Tests.Model;

/// <summary>Small model shapes for tests that need no checkpoint.</summary>
internal static class TinyConfigs
{
    public static ModelConfig Qwen3Like => new()
    {
        Architecture = ModelArchitecture.Qwen3,
        VocabSize = 97,
        HiddenSize = 32,
        IntermediateSize = 48,
        NumLayers = 2,
        NumHeads = 4,
        NumKvHeads = 2,
        HeadDim = 16,
        RmsNormEps = 1e-6f,
        RopeTheta = 10000.0,
        TieWordEmbeddings = false,
        AttentionBias = true,
        QkNorm = true,
        MaxPositionEmbeddings = 256,
    };
}
