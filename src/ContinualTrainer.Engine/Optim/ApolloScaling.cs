namespace ContinualTrainer.Engine.Optim;

/// <summary>How APOLLO turns the projected Adam state into a scaling of the raw gradient.</summary>
public enum ApolloScaling
{
    /// <summary>APOLLO: one factor per channel of the unprojected (larger) side of the matrix.</summary>
    Channel,

    /// <summary>APOLLO-Mini: one factor per tensor.</summary>
    Tensor,
}
