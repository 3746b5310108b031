namespace ContinualTrainer.Training;

/// <summary>One phase of a run with its timing (<c>training_run_phases</c>).</summary>
public sealed record RunPhaseRecord(string Phase, DateTimeOffset StartedUtc, DateTimeOffset? FinishedUtc, double? Seconds, string Detail);
