namespace ContinualTrainer.Engine.Model;

/// <summary>
/// The activations one decoder layer writes during a forward pass (pointers into an
/// <see cref="ActivationTensors"/> arena), including what its backward pass will read: norm inputs and
/// reciprocal RMS, the rotated queries, the own keys/values, the attention log-sum-exp. N = B*T.
/// </summary>
public sealed unsafe class LayerActivations
{
    public required float* Ln1 { get; init; }        // (N, C)
    public required float* Ln1Rstd { get; init; }    // (N)
    public required float* Qkv { get; init; }        // (N, QD + 2 KD)
    public required float* Query { get; init; }      // (N, NH, hd) after q_norm and RoPE
    public required float* QueryRstd { get; init; }  // (N, NH) q_norm reciprocal RMS (Qwen3)
    public required float* KeyRstd { get; init; }    // (N, KVH) k_norm reciprocal RMS (Qwen3)
    public required float* Keys { get; init; }       // (B, T, KVH, hd) after k_norm and RoPE, when no cache is used
    public required float* Values { get; init; }     // (B, T, KVH, hd) when no cache is used
    public required float* Attention { get; init; }  // (N, NH, hd)
    public required float* AttentionLse { get; init; } // (B, NH, T)
    public required float* Residual2 { get; init; }  // (N, C) input + attention projection
    public required float* Ln2 { get; init; }        // (N, C)
    public required float* Ln2Rstd { get; init; }    // (N)
    public required float* GateUp { get; init; }     // (N, 2 I): gate | up
    public required float* SwiGlu { get; init; }     // (N, I)
    public required float* Residual3 { get; init; }  // (N, C) layer output
}
