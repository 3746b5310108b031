using ContinualTrainer.Configuration;

namespace ContinualTrainer.Training;

/// <summary>
/// How gently the next run trains: after a rejected run the learning rate is multiplied by
/// <c>Guard:RejectionLearningRateFactor</c> (halved by default) and the replay fraction raised by
/// <c>Guard:RejectionReplayStep</c> up to <c>Guard:MaxReplayFraction</c>; an accepted run resets both.
/// </summary>
/// <param name="Rejections">Rejected runs since the last accepted one.</param>
/// <param name="LearningRateFactor">Multiplies the configured learning rate.</param>
/// <param name="ReplayFraction">The general replay fraction of the next training set.</param>
public sealed record RunAdaptation(int Rejections, double LearningRateFactor, double ReplayFraction)
{
    public static RunAdaptation Initial(double configuredReplayFraction) => new(0, 1.0, configuredReplayFraction);

    public RunAdaptation AfterRejection(GuardOptions guard) => new(
        Rejections + 1,
        LearningRateFactor * guard.RejectionLearningRateFactor,
        Math.Max(ReplayFraction, Math.Min(guard.MaxReplayFraction, ReplayFraction + guard.RejectionReplayStep)));

    public RunAdaptation AfterAcceptance(double configuredReplayFraction) => Initial(configuredReplayFraction);
}
