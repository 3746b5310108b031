namespace ContinualTrainer.Guard;

/// <summary>The guard cannot evaluate (unreadable probe file, missing held-out text); one clear line.</summary>
public sealed class GuardException(string message) : Exception(message);
