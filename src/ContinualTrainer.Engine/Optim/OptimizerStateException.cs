namespace ContinualTrainer.Engine.Optim;

/// <summary>
/// Saved optimizer state does not fit the optimizer it is loaded into (another kind, seed, parameter set or
/// shape) or is malformed. The message is one line naming the file and, when there is one, the tensor.
/// </summary>
public sealed class OptimizerStateException : Exception
{
    public OptimizerStateException(string path, string problem)
        : base($"{path}: {problem}".ReplaceLineEndings(" "))
    {
        FilePath = path;
    }

    /// <summary>The state file.</summary>
    public string FilePath { get; }
}
