namespace ContinualTrainer.Engine.Optim;

/// <summary>
/// The per-step constants of PyTorch's single-tensor AdamW (foreach=False, the CPU default), computed in
/// double as Python computes them and rounded to float32 where PyTorch's CPU kernels take a float32 scalar.
/// <see cref="LerpFromEnd"/> and <see cref="LerpCoefficient"/> reproduce <c>exp_avg.lerp_(grad, 1 - beta1)</c>:
/// PyTorch evaluates <c>fma(w, g - m, m)</c> for a weight w &lt; 0.5 and <c>fma(w - 1, g - m, g)</c> otherwise.
/// </summary>
internal readonly record struct AdamWScalars(
    float Decay,
    float LerpCoefficient,
    bool LerpFromEnd,
    float Beta2,
    float OneMinusBeta2,
    float BiasCorrection2Sqrt,
    float NegativeStepSize,
    float Epsilon)
{
    /// <summary>Constants of step <paramref name="step"/> (1 for the first).</summary>
    public static AdamWScalars For(double learningRate, double weightDecay, double beta1, double beta2, double epsilon, long step)
    {
        var biasCorrection1 = 1 - Math.Pow(beta1, step);
        var biasCorrection2 = 1 - Math.Pow(beta2, step);
        var weight = (float)(1 - beta1);
        return new AdamWScalars(
            Decay: (float)(1 - learningRate * weightDecay),
            LerpCoefficient: weight < 0.5f ? weight : weight - 1f,
            LerpFromEnd: weight >= 0.5f,
            Beta2: (float)beta2,
            OneMinusBeta2: (float)(1 - beta2),
            BiasCorrection2Sqrt: (float)Math.Sqrt(biasCorrection2),
            NegativeStepSize: (float)(-(learningRate / biasCorrection1)),
            Epsilon: (float)epsilon);
    }
}
