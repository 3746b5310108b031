using ContinualTrainer.Engine.Optim;

namespace ContinualTrainer.Engine.Training;

/// <summary>
/// A penalty on the trainable parameters themselves (not on the model's outputs), applied by
/// <see cref="TrainingSession.Step(IReadOnlyList{IReadOnlyList{TrainingExample}}, double)"/> once per step, after
/// the micro-batch gradients are averaged and before clipping.
/// </summary>
public interface IGradientRegularizer
{
    /// <summary>Adds the penalty's gradient into the parameters' gradients and returns the penalty's value.</summary>
    double AddGradient(IReadOnlyList<OptimizerParameter> parameters);
}
