namespace ContinualTrainer.Engine.Model;

/// <summary>The decoder families the engine implements.</summary>
public enum ModelArchitecture
{
    Llama,
    Qwen2,
    Qwen3,
}

/// <summary>
/// The shape and numerics of a Llama / Qwen2 / Qwen3 decoder, as read from a Hugging Face
/// <c>config.json</c> (see <c>ModelConfigLoader</c>). Immutable; validated on construction by the loader.
/// </summary>
public sealed record ModelConfig
{
    public required ModelArchitecture Architecture { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumLayers { get; init; }
    public required int NumHeads { get; init; }
    public required int NumKvHeads { get; init; }
    /// <summary>Per-head width; <c>head_dim</c> when the config gives it, else hidden/heads.</summary>
    public required int HeadDim { get; init; }
    public required float RmsNormEps { get; init; }
    public required double RopeTheta { get; init; }
    public required bool TieWordEmbeddings { get; init; }
    /// <summary>q,k,v projections carry a bias (Qwen2 always; Llama/Qwen3 when attention_bias is true).</summary>
    public required bool AttentionBias { get; init; }
    /// <summary>o_proj carries a bias (Llama and Qwen3 when attention_bias is true; never Qwen2).</summary>
    public bool OutputBias { get; init; }
    /// <summary>Per-head RMSNorm on q and k before RoPE (Qwen3).</summary>
    public required bool QkNorm { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 4096;
    public int? BosTokenId { get; init; }
    public int? EosTokenId { get; init; }

    public int QDim => NumHeads * HeadDim;
    public int KvDim => NumKvHeads * HeadDim;
}
