using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Engine.Optim;

/// <summary>
/// An optimizer over a fixed list of <see cref="OptimizerParameter"/>s: each <see cref="Step"/> reads every
/// gradient and updates every weight in place. Its state lives in one native allocation, exposed as named
/// views, and can be saved to and restored from a safetensors file so a run can resume and consecutive runs
/// can continue the moments.
/// </summary>
public interface IOptimizer : IDisposable
{
    /// <summary>The kind written to saved state (<c>adamw</c>, <c>apollo</c>, <c>apollo-mini</c>); loading checks it.</summary>
    string Kind { get; }

    IReadOnlyList<OptimizerParameter> Parameters { get; }

    /// <summary>Steps taken (restored by <see cref="Load"/>).</summary>
    long StepCount { get; }

    /// <summary>Every state tensor, named <c>&lt;parameter&gt;.&lt;state&gt;</c>, as saved.</summary>
    IReadOnlyList<TensorView> StateTensors { get; }

    /// <summary>Bytes of optimizer state (the saved tensors; caches that are regenerated are not counted).</summary>
    long StateBytes { get; }

    /// <summary>Bytes of state held for the parameter named <paramref name="parameterName"/>.</summary>
    long StateBytesOf(string parameterName);

    /// <summary>Takes one step with learning rate <paramref name="learningRate"/>, using the current gradients.</summary>
    void Step(double learningRate);

    /// <summary>Writes the state (F32) and its metadata to <paramref name="path"/>, atomically.</summary>
    void Save(string path);

    /// <summary>
    /// Replaces the state with the one saved at <paramref name="path"/>; refuses, with an
    /// <see cref="OptimizerStateException"/>, a file of another kind or with other tensor names or shapes.
    /// </summary>
    void Load(string path);
}
