using System.Globalization;
using ContinualTrainer.Configuration;

namespace ContinualTrainer.Guard;

/// <summary>
/// Keeps a run only if it did not forget: general perplexity rose by at most <c>MaxPerplexityIncrease</c>,
/// no probe category lost more than <c>MaxProbeDrop</c>, the past-learning loss rose by at most
/// <c>MaxPastLossIncrease</c>, and the decision loss did not get worse. A non-finite measurement fails its check.
/// </summary>
public sealed class GuardPolicy(GuardOptions options)
{
    public GuardVerdict Decide(EvaluationReport before, EvaluationReport after)
    {
        var checks = new List<GuardCheck>
        {
            Relative("general_perplexity", "general perplexity", before.GeneralPerplexity, after.GeneralPerplexity, options.MaxPerplexityIncrease),
        };
        foreach (var (category, accuracyBefore) in before.ProbeAccuracy.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var accuracyAfter = after.ProbeAccuracy.TryGetValue(category, out var a) ? a : double.NaN;
            var limit = accuracyBefore - options.MaxProbeDrop;
            var passed = double.IsFinite(accuracyAfter) && accuracyAfter >= limit - 1e-12;
            checks.Add(new GuardCheck("probe:" + category, accuracyBefore, accuracyAfter, limit, passed,
                $"probe accuracy '{category}' {F(accuracyBefore)} -> {F(accuracyAfter)} (may drop at most {F(options.MaxProbeDrop)})"));
        }
        if (before.PastLoss is { } pastBefore)
        {
            checks.Add(Relative("past_loss", "past-learning loss", pastBefore, after.PastLoss ?? double.NaN, options.MaxPastLossIncrease));
        }
        if (double.IsNaN(before.DecisionLoss) && double.IsNaN(after.DecisionLoss))
        {
            // No validation examples (a snapshot too small to hold some out): nothing to compare, said so.
            checks.Add(new GuardCheck("decision_loss", double.NaN, double.NaN, double.NaN, true, "decision loss not measured: no validation examples"));
        }
        else
        {
            var decisionPassed = double.IsFinite(after.DecisionLoss) && after.DecisionLoss <= before.DecisionLoss;
            checks.Add(new GuardCheck("decision_loss", before.DecisionLoss, after.DecisionLoss, before.DecisionLoss, decisionPassed,
                $"decision loss {F(before.DecisionLoss)} -> {F(after.DecisionLoss)} (must not get worse)"));
        }
        return new GuardVerdict(checks.All(c => c.Passed), checks);
    }

    private static GuardCheck Relative(string name, string label, double before, double after, double maxIncrease)
    {
        var limit = before * (1 + maxIncrease);
        var passed = double.IsFinite(after) && double.IsFinite(before) && after <= limit;
        var change = before > 0 ? (after / before - 1) * 100 : double.NaN;
        return new GuardCheck(name, before, after, limit, passed,
            $"{label} {F(before)} -> {F(after)} ({change.ToString("+0.0;-0.0", CultureInfo.InvariantCulture)}%, at most +{(maxIncrease * 100).ToString("0.#", CultureInfo.InvariantCulture)}% allowed)");
    }

    private static string F(double value) => double.IsFinite(value) ? value.ToString("0.####", CultureInfo.InvariantCulture) : value.ToString(CultureInfo.InvariantCulture);
}
