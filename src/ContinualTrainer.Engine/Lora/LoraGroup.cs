namespace ContinualTrainer.Engine.Lora;

/// <summary>
/// The adapters of one layer that read the same input (see <see cref="LoraGroupKind"/>): their A matrices are
/// adjacent in memory, so <see cref="A"/> is the stacked (G * rank, in) matrix and u = x A^T is one product;
/// each module's B then writes its own column range of the fused output.
/// </summary>
public sealed unsafe class LoraGroup
{
    public required LoraGroupKind Kind { get; init; }

    /// <summary>The group's modules in projection order (at least one).</summary>
    public required IReadOnlyList<LoraModule> Modules { get; init; }

    public required int Rank { get; init; }

    public int InChannels => Modules[0].InChannels;

    /// <summary>Columns of u = x A^T: modules * rank.</summary>
    public int Width => Modules.Count * Rank;

    /// <summary>The stacked A: (Width, in).</summary>
    public float* A => Modules[0].A.Data;

    /// <summary>The stacked A gradient: (Width, in).</summary>
    public float* GradA => Modules[0].GradA.Data;
}
