namespace ContinualTrainer.Engine.Optim;

/// <summary>
/// AdamW's hyper-parameters besides the learning rate (given to each step) and the weight decay (set per
/// <see cref="ParameterGroup"/>); defaults are torch.optim.AdamW's.
/// </summary>
public sealed record AdamWOptions(double Beta1 = 0.9, double Beta2 = 0.999, double Epsilon = 1e-8)
{
    /// <summary>Throws when a beta is outside [0, 1) or epsilon is negative or not finite.</summary>
    public void Validate()
    {
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, "beta1 must be in [0, 1)");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, "beta2 must be in [0, 1)");
        if (!(Epsilon >= 0 && double.IsFinite(Epsilon))) throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "epsilon must be finite and >= 0");
    }
}
