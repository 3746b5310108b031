namespace ContinualTrainer.Guard;

/// <summary>One comparison the guard made: what, the two values, the limit, and whether it held.</summary>
/// <param name="Name">e.g. <c>general_perplexity</c>, <c>probe:cloze</c>, <c>past_loss</c>, <c>decision_loss</c>.</param>
/// <param name="Limit">The largest "after" value accepted.</param>
public sealed record GuardCheck(string Name, double Before, double After, double Limit, bool Passed, string Explanation);
