namespace ContinualTrainer.Cli;

/// <summary>
/// A failure a verb reports to the user as one line on stderr (no stack trace), with its exit code:
/// 1 for failures, 2 for usage errors.
/// </summary>
public sealed class CliException(string message, int exitCode = ExitCodes.Failure) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
