namespace ContinualTrainer.Engine.Optim;

/// <summary>
/// The optimizer settings shared by a set of parameters (PyTorch's param_groups): the decoupled weight decay
/// and whether a matrix in the group is eligible for APOLLO's low-rank projection (<see cref="Apollo"/>
/// treats every other tensor, and every tensor that is not 2-D, with AdamW; <see cref="AdamW"/> ignores the flag).
/// </summary>
/// <param name="Name">Names the group in saved state metadata.</param>
/// <param name="WeightDecay">Decoupled weight decay λ: each step multiplies the weights by (1 - lr·λ).</param>
/// <param name="Projected">Matrices of this group get APOLLO's projected scaling.</param>
public sealed record ParameterGroup(string Name, double WeightDecay, bool Projected)
{
    /// <summary>Name of the no-decay group (norm weights, biases, embeddings).</summary>
    public const string NoDecayName = "no_decay";

    /// <summary>Attention and MLP projection weights: decayed and projected (APOLLO's target modules).</summary>
    public static ParameterGroup Projections(double weightDecay) => new("projections", weightDecay, Projected: true);

    /// <summary>
    /// An untied lm_head: decayed like a projection weight but kept on AdamW under APOLLO, as the authors'
    /// setup targets only the attention and MLP linear layers.
    /// </summary>
    public static ParameterGroup Head(double weightDecay) => new("lm_head", weightDecay, Projected: false);

    /// <summary>Norm weights, biases and token embeddings: no weight decay, AdamW.</summary>
    public static ParameterGroup NoDecay { get; } = new(NoDecayName, 0, Projected: false);
}
