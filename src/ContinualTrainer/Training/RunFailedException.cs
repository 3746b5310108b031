namespace ContinualTrainer.Training;

/// <summary>A run cannot go on (non-finite loss, memory estimate over the cap); it ends as failed with this reason.</summary>
public sealed class RunFailedException(string message) : Exception(message);
