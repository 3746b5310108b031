namespace ContinualTrainer.State;

/// <summary>The state database cannot be used (newer schema, corrupt file, failed migration); one clear line.</summary>
public sealed class StateDatabaseException(string message, Exception? inner = null) : Exception(message, inner);
