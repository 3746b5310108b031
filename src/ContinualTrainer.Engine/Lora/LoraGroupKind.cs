namespace ContinualTrainer.Engine.Lora;

/// <summary>
/// The products of a decoder layer that adapters attach to; adapters on projections that share an input
/// (q, k, v read the first norm's output; gate and up the second's) form one group whose A matrices are
/// adjacent, so one sgemm computes all their A x.
/// </summary>
public enum LoraGroupKind
{
    /// <summary>q_proj, k_proj, v_proj (input: input_layernorm output; outputs in the fused q|k|v row).</summary>
    Qkv,

    /// <summary>o_proj (input: attention output).</summary>
    O,

    /// <summary>gate_proj, up_proj (input: post_attention_layernorm output; outputs in the fused gate|up row).</summary>
    GateUp,

    /// <summary>down_proj (input: SwiGLU output).</summary>
    Down,
}
