namespace ContinualTrainer.Demo;

/// <summary>One point of a run's learning curves: after <paramref name="Step"/> optimizer steps (0: the base model).</summary>
/// <param name="GeneralPerplexity">Perplexity on the curves' slice of the held-out general text (forgetting).</param>
/// <param name="TaskLoss">Mean decision-token loss on the held-out task validation examples (learning).</param>
public sealed record DemoPoint(int Step, double GeneralPerplexity, double TaskLoss);
