namespace ContinualTrainer.Engine.Training;

/// <summary>
/// Settings of a <see cref="TrainingSession"/>. <paramref name="MaxGradNorm"/> clips the global gradient norm
/// (PyTorch's clip_grad_norm_) before each optimizer step; null disables clipping. <paramref name="WeightDecay"/>
/// is the decoupled decay of the decayed parameter groups (projection weights, or the LoRA adapters).
/// </summary>
public sealed record TrainingOptions(TrainingMode Mode = TrainingMode.Frozen, double? MaxGradNorm = 1.0, double WeightDecay = 0.01)
{
    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Mode)) throw new ArgumentOutOfRangeException(nameof(Mode), Mode, "unknown training mode");
        if (MaxGradNorm is { } norm && !(norm > 0 && double.IsFinite(norm)))
            throw new ArgumentOutOfRangeException(nameof(MaxGradNorm), norm, "the clipping norm must be finite and > 0");
        if (!(WeightDecay >= 0 && double.IsFinite(WeightDecay)))
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "the weight decay must be finite and >= 0");
    }
}
