namespace ContinualTrainer.Guard;

/// <summary>The guard's decision on a trained model, with every check and its numbers.</summary>
public sealed record GuardVerdict(bool Accepted, IReadOnlyList<GuardCheck> Checks)
{
    /// <summary>The failed checks' explanations, or "all checks passed".</summary>
    public string Summary => Accepted ? "all checks passed" : string.Join("; ", Checks.Where(c => !c.Passed).Select(c => c.Explanation));
}
