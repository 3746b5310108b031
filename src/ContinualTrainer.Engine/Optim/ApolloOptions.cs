namespace ContinualTrainer.Engine.Optim;

/// <summary>
/// APOLLO's hyper-parameters (Zhu et al. 2024, arXiv 2412.05270; the authors' apollo_torch). The learning
/// rate is given to each step and the weight decay is set per <see cref="ParameterGroup"/>.
/// <see cref="Default"/> is APOLLO (rank 256, channel-wise, scale 1) and <see cref="Mini"/> APOLLO-Mini
/// (rank 1, tensor-wise, scale 128). The update is multiplied by <see cref="Alpha"/> = sqrt(<see cref="Scale"/>),
/// as apollo_torch does (<c>norm_grad *= np.sqrt(group["scale"])</c>), which is the paper's α = √128 for Mini.
/// </summary>
public sealed record ApolloOptions
{
    /// <summary>APOLLO with the paper's rank 256, channel-wise scaling and scale 1.</summary>
    public static ApolloOptions Default { get; } = new();

    /// <summary>APOLLO-Mini: rank 1, tensor-wise scaling, scale 128 (α = √128).</summary>
    public static ApolloOptions Mini { get; } = new() { Scaling = ApolloScaling.Tensor, Rank = 1, Scale = 128 };

    public ApolloScaling Scaling { get; init; } = ApolloScaling.Channel;

    /// <summary>Rows of the random projection (r); the projected gradient of an m×n matrix is r×max(m, n).</summary>
    public int Rank { get; init; } = 256;

    /// <summary>
    /// The update multiplier α is sqrt(Scale). A rank-r estimate makes each channel's update norm about
    /// sqrt(r/n) of Adam's (n the projected side); the paper's compensation α = sqrt(n/r) is Scale = n/r.
    /// Default 1, apollo_torch's default.
    /// </summary>
    public double Scale { get; init; } = 1;

    /// <summary>Steps between projection refreshes (a new P every this many steps; moments are kept).</summary>
    public int UpdateProjectionGap { get; init; } = 200;

    /// <summary>Seed of the random projections.</summary>
    public long Seed { get; init; }

    public double Beta1 { get; init; } = 0.9;

    public double Beta2 { get; init; } = 0.999;

    /// <summary>Added to sqrt(V) in R̃ = M / (sqrt(V) + eps); apollo_torch's default 1e-6.</summary>
    public double Epsilon { get; init; } = 1e-6;

    /// <summary>Norm-growth limiter γ (from Fira): an update's norm may grow at most by this factor per step.</summary>
    public double LimiterGamma { get; init; } = 1.01;

    /// <summary>The update multiplier α = sqrt(<see cref="Scale"/>).</summary>
    public double Alpha => Math.Sqrt(Scale);

    /// <summary>The kind written to saved state: <c>apollo</c> or <c>apollo-mini</c>.</summary>
    public string Kind => Scaling == ApolloScaling.Tensor ? Apollo.MiniKindName : Apollo.KindName;

    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Scaling)) throw new ArgumentOutOfRangeException(nameof(Scaling), Scaling, "unknown scaling");
        if (Rank < 1) throw new ArgumentOutOfRangeException(nameof(Rank), Rank, "the rank must be at least 1");
        if (!(Scale > 0 && double.IsFinite(Scale))) throw new ArgumentOutOfRangeException(nameof(Scale), Scale, "the scale must be finite and > 0");
        if (UpdateProjectionGap < 1) throw new ArgumentOutOfRangeException(nameof(UpdateProjectionGap), UpdateProjectionGap, "the projection gap must be at least 1 step");
        new AdamWOptions(Beta1, Beta2, Epsilon).Validate();
        if (!(LimiterGamma >= 1 && double.IsFinite(LimiterGamma)))
            throw new ArgumentOutOfRangeException(nameof(LimiterGamma), LimiterGamma, "the limiter gamma must be finite and >= 1");
    }
}
