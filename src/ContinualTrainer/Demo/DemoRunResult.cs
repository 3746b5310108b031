using ContinualTrainer.Guard;

namespace ContinualTrainer.Demo;

/// <summary>One run of the demonstration: its recipe, the guard's evaluations before and after, its verdict and its curves.</summary>
/// <param name="Description">The recipe in one line (<see cref="DemoRecipe.Describe"/>).</param>
public sealed record DemoRunResult(DemoRecipe Recipe, string Description, EvaluationReport Before, EvaluationReport After, GuardVerdict Verdict, DemoTrace Trace)
{
    /// <summary>General perplexity after / before: above 1 the model forgot some of its general language.</summary>
    public double ForgettingRatio => After.GeneralPerplexity / Before.GeneralPerplexity;

    /// <summary>Relative drop of the task's validation loss, 1 - after / before: above 0 the model learned the task.</summary>
    public double TaskLossDrop => 1 - After.DecisionLoss / Before.DecisionLoss;
}
