using ContinualTrainer.Configuration;
using ContinualTrainer.Training;

namespace ContinualTrainer.Tests.Training;

public sealed class RunAdaptationTests
{
    [Fact]
    public void Each_rejection_halves_the_learning_rate_and_adds_ten_points_of_replay_up_to_the_cap()
    {
        var guard = new GuardOptions();
        var a = RunAdaptation.Initial(0.25);
        var steps = new List<RunAdaptation>();
        for (var i = 0; i < 5; i++) steps.Add(a = a.AfterRejection(guard));

        Assert.Equal([1, 2, 3, 4, 5], steps.Select(s => s.Rejections));
        Assert.Equal([0.5, 0.25, 0.125, 0.0625, 0.03125], steps.Select(s => s.LearningRateFactor));
        Assert.Equal([0.35, 0.45, 0.55, 0.60, 0.60], steps.Select(s => Math.Round(s.ReplayFraction, 10)));
    }

    [Fact]
    public void An_accepted_run_resets_both()
    {
        var a = RunAdaptation.Initial(0.25).AfterRejection(new GuardOptions()).AfterRejection(new GuardOptions());
        Assert.Equal(RunAdaptation.Initial(0.25), a.AfterAcceptance(0.25));
    }

    [Fact]
    public void A_configured_replay_above_the_cap_is_never_lowered()
    {
        var a = RunAdaptation.Initial(0.7).AfterRejection(new GuardOptions());
        Assert.Equal(0.7, a.ReplayFraction);
    }
}
