using ContinualTrainer.Configuration;

namespace ContinualTrainer.Dataset;

/// <summary>
/// The token limits of a decision example: decisions shorter than <see cref="MinDecisionTokens"/> (end-of-turn
/// token included) are dropped, longer than <see cref="MaxDecisionTokens"/> are cut there (losing the end token);
/// the context keeps at most <see cref="MaxContextTokens"/>, from the end, always with the system prompt.
/// </summary>
public sealed record DecisionLimits(int MinDecisionTokens, int MaxDecisionTokens, int MaxContextTokens)
{
    public static DecisionLimits From(DatasetOptions options) =>
        new(options.MinDecisionTokens, options.MaxDecisionTokens, options.MaxContextTokens);
}
