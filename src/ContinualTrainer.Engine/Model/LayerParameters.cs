namespace ContinualTrainer.Engine.Model;

/// <summary>
/// The parameter views of one decoder layer. q, k and v projections are adjacent in memory, so
/// <see cref="QkvWeight"/> (and <see cref="QkvBias"/>) cover all three and one sgemm computes them; the
/// same holds for gate and up (<see cref="GateUpWeight"/>).
/// </summary>
public sealed class LayerParameters
{
    public required TensorView InputNorm { get; init; }        // (C)
    public required TensorView QkvWeight { get; init; }        // (QD + 2 KD, C): q_proj | k_proj | v_proj
    public TensorView? QkvBias { get; init; }                  // (QD + 2 KD): q | k | v biases (Qwen2, attention_bias)
    public TensorView? QNorm { get; init; }                    // (hd) Qwen3
    public TensorView? KNorm { get; init; }                    // (hd) Qwen3
    public required TensorView OWeight { get; init; }          // (C, QD)
    public TensorView? OBias { get; init; }                    // (C)
    public required TensorView PostAttentionNorm { get; init; } // (C)
    public required TensorView GateUpWeight { get; init; }     // (2 I, C): gate_proj | up_proj
    public required TensorView DownWeight { get; init; }       // (C, I)
}
