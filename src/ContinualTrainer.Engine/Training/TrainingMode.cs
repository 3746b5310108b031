namespace ContinualTrainer.Engine.Training;

/// <summary>How a training step treats the context before each row's decision tokens.</summary>
public enum TrainingMode
{
    /// <summary>Backpropagation through every position (what generic trainers do).</summary>
    Full,

    /// <summary>
    /// Context-frozen: per row, with f the first decision token and s = f - 1, positions 0..s-1 are run once
    /// without gradient and kept only as keys/values; positions s.. are trained at their true positions,
    /// attending to them. No activations are stored and no backward work is done for the context.
    /// </summary>
    Frozen,
}
