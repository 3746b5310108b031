using ContinualTrainer.Configuration;
using ContinualTrainer.Guard;

namespace ContinualTrainer.Tests.Guard;

public sealed class GuardPolicyTests
{
    private static readonly GuardPolicy Policy = new(new GuardOptions());

    private static EvaluationReport Report(double ppl, double decision, double? past = null, params (string, double)[] probes) =>
        new(ppl, decision, past, probes.ToDictionary(p => p.Item1, p => p.Item2));

    [Fact]
    public void Accepts_a_run_that_learned_without_forgetting()
    {
        var verdict = Policy.Decide(Report(20.0, 2.5, 3.0, ("cloze", 0.6)), Report(20.5, 1.9, 3.1, ("cloze", 0.55)));
        Assert.True(verdict.Accepted, verdict.Summary);
        Assert.All(verdict.Checks, c => Assert.True(c.Passed));
        Assert.Equal(["general_perplexity", "probe:cloze", "past_loss", "decision_loss"], verdict.Checks.Select(c => c.Name));
    }

    [Fact]
    public void Perplexity_may_rise_by_exactly_the_threshold_but_not_more()
    {
        Assert.True(Policy.Decide(Report(100, 2), Report(103, 1.5)).Accepted);
        var verdict = Policy.Decide(Report(100, 2), Report(103.01, 1.5));
        Assert.False(verdict.Accepted);
        Assert.Equal("general perplexity 100 -> 103.01 (+3.0%, at most +3% allowed)", verdict.Summary);
    }

    [Fact]
    public void Rejects_when_any_probe_category_drops_more_than_allowed()
    {
        var verdict = Policy.Decide(Report(10, 2, null, ("cloze", 0.8), ("facts", 0.5)), Report(10, 1.5, null, ("cloze", 0.8), ("facts", 0.39)));
        Assert.False(verdict.Accepted);
        Assert.Equal("probe accuracy 'facts' 0.5 -> 0.39 (may drop at most 0.1)", verdict.Summary);
        Assert.True(Policy.Decide(Report(10, 2, null, ("facts", 0.5)), Report(10, 1.5, null, ("facts", 0.4))).Accepted);
    }

    [Fact]
    public void Rejects_when_past_learning_is_forgotten()
    {
        var verdict = Policy.Decide(Report(10, 2, 1.0), Report(10, 1.5, 1.06));
        Assert.False(verdict.Accepted);
        Assert.Contains("past-learning loss 1 -> 1.06", verdict.Summary);
    }

    [Fact]
    public void Rejects_when_the_decision_loss_got_worse()
    {
        var verdict = Policy.Decide(Report(10, 2), Report(10, 2.0001));
        Assert.False(verdict.Accepted);
        Assert.StartsWith("decision loss 2 -> 2.0001", verdict.Summary);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Non_finite_measurements_fail_their_checks(double value)
    {
        Assert.False(Policy.Decide(Report(10, 2), Report(value, 1)).Accepted);
        Assert.False(Policy.Decide(Report(10, 2), Report(10, value)).Accepted);
        Assert.False(Policy.Decide(Report(10, 2, 1), Report(10, 1, value)).Accepted);
        Assert.False(Policy.Decide(Report(10, 2, null, ("p", 0.5)), Report(10, 1, null, ("p", value))).Accepted);
    }

    [Fact]
    public void Without_validation_examples_the_decision_loss_is_not_compared_and_says_so()
    {
        var verdict = Policy.Decide(Report(10, double.NaN), Report(10, double.NaN));
        Assert.True(verdict.Accepted);
        Assert.Equal("decision loss not measured: no validation examples", verdict.Checks.Single(c => c.Name == "decision_loss").Explanation);
        Assert.False(Policy.Decide(Report(10, 2), Report(10, double.NaN)).Accepted);
    }

    [Fact]
    public void A_probe_category_missing_after_the_run_fails()
    {
        Assert.False(Policy.Decide(Report(10, 2, null, ("p", 0.5)), Report(10, 1)).Accepted);
    }

    [Fact]
    public void Thresholds_come_from_the_options()
    {
        var strict = new GuardPolicy(new GuardOptions { MaxPerplexityIncrease = 0.0 });
        Assert.False(strict.Decide(Report(10, 2), Report(10.0001, 1)).Accepted);
        var lax = new GuardPolicy(new GuardOptions { MaxPerplexityIncrease = 0.5 });
        Assert.True(lax.Decide(Report(10, 2), Report(14.9, 1)).Accepted);
    }
}
