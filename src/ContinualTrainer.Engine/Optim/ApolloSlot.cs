using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Engine.Optim;

/// <summary>
/// Where <see cref="Apollo"/> keeps one parameter's state. A projected m×n matrix has C = max(m, n) channels
/// (rows when m ≥ n, else columns) and a projection P of shape (r, min(m, n)); its moments are (r, C).
/// Any other tensor is stepped by AdamW with moments of its own shape.
/// </summary>
internal sealed class ApolloSlot
{
    public required OptimizerParameter Parameter { get; init; }

    /// <summary>The first moment: (r, C) when projected, else the parameter's shape.</summary>
    public required TensorView ExpAvg { get; init; }

    /// <summary>The second moment, shaped like <see cref="ExpAvg"/>.</summary>
    public required TensorView ExpAvgSq { get; init; }

    /// <summary>(1): norm of the previous update, for the norm-growth limiter. Projected matrices only.</summary>
    public TensorView? LimiterNorm { get; init; }

    /// <summary>(1): refresh number of the projection in use (0 for the first). Projected matrices only.</summary>
    public TensorView? ProjectionIndex { get; init; }

    /// <summary>(r, min(m, n)) random projection, regenerated from the seed. Projected matrices only.</summary>
    public TensorView? Projection { get; init; }

    /// <summary>True for a matrix whose channels are its rows (m ≥ n).</summary>
    public bool ChannelsAreRows { get; init; }

    public bool IsProjected => Projection is not null;

    public int Rows => (int)Parameter.Shape[0];

    public int Cols => (int)Parameter.Shape[1];

    /// <summary>C, the unprojected side.</summary>
    public int Channels => ChannelsAreRows ? Rows : Cols;

    /// <summary>The projected side, min(m, n).</summary>
    public int Side => ChannelsAreRows ? Cols : Rows;
}
