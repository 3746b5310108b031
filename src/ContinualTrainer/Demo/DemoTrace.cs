namespace ContinualTrainer.Demo;

/// <summary>What one training run of the demonstration did: its learning curves and how much it trained.</summary>
/// <param name="Series">Measurements from step 0 (the base model) to the last step, about evenly spaced.</param>
/// <param name="Steps">Optimizer steps taken.</param>
/// <param name="TaskExamples">Task examples per epoch.</param>
/// <param name="ReplayWindows">General replay windows per epoch.</param>
/// <param name="TrainTokens">Tokens of every row of every step (context included).</param>
/// <param name="Seconds">Wall time of the run, evaluations included.</param>
public sealed record DemoTrace(IReadOnlyList<DemoPoint> Series, int Steps, int TaskExamples, int ReplayWindows, long TrainTokens, double Seconds);
