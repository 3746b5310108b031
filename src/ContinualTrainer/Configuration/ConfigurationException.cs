namespace ContinualTrainer.Configuration;

/// <summary>
/// A configuration value that cannot be used. The message is one line naming the key, the value and what
/// is allowed; the daemon prints it and exits 1 without a stack trace.
/// </summary>
public sealed class ConfigurationException(string message) : Exception(message);
