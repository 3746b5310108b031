using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Bootstrap;

/// <summary>
/// How <c>continual-trainer init</c> builds the default base model: its tokenizer's vocabulary, its Llama shape
/// (head width 32, SwiGLU width about 8/3 of the hidden width, tied embeddings) and the pre-training run —
/// AdamW with linear warmup and cosine decay over the budget, batches of random windows of the corpus's training
/// part — stopped after <see cref="Minutes"/> of training or after exactly <see cref="Steps"/> steps.
/// The defaults were chosen by measuring held-out perplexity after 4 minutes on 2 shared cores: at that budget the
/// smallest shapes win (hidden 128 with 2 layers beat 4 layers, and hidden 192 with 2 or 4 layers), a 4096-token
/// vocabulary beat 1024 and 2048 per byte, and a peak learning rate of 2e-3 beat 1e-3, 4e-3 and above.
/// </summary>
public sealed record BootstrapOptions
{
    public const int HeadDim = 32;

    /// <summary>Wall-clock budget of the pre-training steps (tokenizer and corpus preparation not included).</summary>
    public double Minutes { get; init; } = 4;

    /// <summary>Exactly this many optimizer steps instead of the time budget; null: train for <see cref="Minutes"/>.</summary>
    public int? Steps { get; init; }

    /// <summary>Seeds the weights and the choice of windows.</summary>
    public int Seed { get; init; }

    /// <summary>Tokenizer vocabulary, special tokens included (fewer when the corpus runs out of pairs to merge).</summary>
    public int VocabSize { get; init; } = 4096;

    public int HiddenSize { get; init; } = 128;

    public int Layers { get; init; } = 2;

    /// <summary>Tokens per training window (and the longest position pre-training sees).</summary>
    public int SequenceLength { get; init; } = 256;

    /// <summary>Windows per optimizer step.</summary>
    public int BatchSize { get; init; } = 4;

    /// <summary>Peak learning rate, reached after <see cref="WarmupSteps"/> and decayed to a tenth of itself at the end.</summary>
    public double LearningRate { get; init; } = 2e-3;

    public int WarmupSteps { get; init; } = 20;

    /// <summary>
    /// Share of the training windows cut from the corpus rendered as ChatML conversations (<see cref="ChatFrames"/>) rather than
    /// plain text; 0 trains on plain text only. Measured at 4 minutes: 0.3 and 0.5 lowered the held-out perplexity (92.7 and 90.2
    /// against 95.3 with 0) and taught the chat frame, but did not make the daemon's default LoRA run forget less (issue #9).
    /// </summary>
    public double ChatShare { get; init; } = 0.3;

    /// <summary>max_position_embeddings of the model: room for the daemon's contexts (RoPE has no learned positions).</summary>
    public int MaxPositionEmbeddings { get; init; } = 4096;

    /// <summary>At most this many held-out tokens are scored at the end (the forgetting guard's Guard:MaxHoldoutTokens).</summary>
    public int HeldOutTokens { get; init; } = 16_384;

    /// <summary>Window of the held-out perplexity (the forgetting guard's Guard:PerplexityWindow).</summary>
    public int PerplexityWindow { get; init; } = 256;

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> whose parameter is the first setting out of range and whose message says what is allowed.</summary>
    public void Validate()
    {
        Check(Minutes > 0 && double.IsFinite(Minutes), nameof(Minutes), "must be a positive number of minutes");
        Check(Steps is null or >= 1, nameof(Steps), "must be at least 1");
        Check(VocabSize >= 260, nameof(VocabSize), "must be at least 260 (256 bytes, 3 special tokens and a merge)");
        Check(HiddenSize >= HeadDim && HiddenSize % HeadDim == 0, nameof(HiddenSize), $"must be a positive multiple of the head width {HeadDim}");
        Check(Layers >= 1, nameof(Layers), "must be at least 1");
        Check(SequenceLength >= 2 && SequenceLength <= MaxPositionEmbeddings, nameof(SequenceLength), $"must be from 2 to max_position_embeddings ({MaxPositionEmbeddings})");
        Check(BatchSize >= 1, nameof(BatchSize), "must be at least 1");
        Check(LearningRate is > 0 and < 1, nameof(LearningRate), "must be in (0, 1)");
        Check(ChatShare is >= 0 and <= 1, nameof(ChatShare), "must be from 0 to 1");
        Check(WarmupSteps >= 0, nameof(WarmupSteps), "must not be negative");
        Check(HeldOutTokens >= 2, nameof(HeldOutTokens), "must be at least 2");
        Check(PerplexityWindow >= 2, nameof(PerplexityWindow), "must be at least 2");
    }

    /// <summary>SwiGLU width: 8/3 of the hidden width (the FLOPs of a 4x GELU MLP), rounded up to a multiple of 32.</summary>
    public int IntermediateSize => (8 * HiddenSize / 3 + 31) / 32 * 32;

    /// <summary>The Llama configuration for a vocabulary of <paramref name="vocabSize"/> ids ending turns with <paramref name="eosTokenId"/>.</summary>
    public ModelConfig ModelConfig(int vocabSize, int eosTokenId) => new()
    {
        Architecture = ModelArchitecture.Llama,
        VocabSize = vocabSize,
        HiddenSize = HiddenSize,
        IntermediateSize = IntermediateSize,
        NumLayers = Layers,
        NumHeads = HiddenSize / HeadDim,
        NumKvHeads = HiddenSize / HeadDim,
        HeadDim = HeadDim,
        RmsNormEps = 1e-5f,
        RopeTheta = 10_000,
        TieWordEmbeddings = true,
        AttentionBias = false,
        QkNorm = false,
        MaxPositionEmbeddings = MaxPositionEmbeddings,
        EosTokenId = eosTokenId,
    };

    private static void Check(bool ok, string name, string rule)
    {
        if (!ok) throw new ArgumentOutOfRangeException(name, rule);
    }
}
