using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Engine.Lora;

/// <summary>
/// One LoRA adapter: the pair A (rank, in), B (out, rank) on one projection of one layer, with its gradients.
/// <see cref="Name"/> is the Hugging Face module path, e.g. <c>model.layers.0.self_attn.q_proj</c>.
/// </summary>
public sealed class LoraModule
{
    /// <summary>Module path, e.g. <c>model.layers.0.self_attn.q_proj</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Position in <see cref="LoraAdapters.Modules"/> (also keys its dropout masks).</summary>
    public required int Index { get; init; }

    public required int Layer { get; init; }

    public required LoraTargets Target { get; init; }

    public required int InChannels { get; init; }

    public required int OutChannels { get; init; }

    /// <summary>First column of this projection's outputs in its fused product (q|k|v or gate|up), else 0.</summary>
    public required int OutputOffset { get; init; }

    /// <summary>(rank, in), named <c>&lt;module&gt;.lora_A.weight</c>.</summary>
    public required TensorView A { get; init; }

    /// <summary>(out, rank), named <c>&lt;module&gt;.lora_B.weight</c>.</summary>
    public required TensorView B { get; init; }

    public required TensorView GradA { get; init; }

    public required TensorView GradB { get; init; }

    /// <summary>The base weight this adapter modifies, e.g. <c>model.layers.0.self_attn.q_proj.weight</c>.</summary>
    public string BaseWeightName => Name + ".weight";
}
