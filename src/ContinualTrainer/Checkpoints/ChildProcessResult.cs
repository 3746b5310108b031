namespace ContinualTrainer.Checkpoints;

/// <summary>How a child process ended: its exit code and what it printed (each stream capped).</summary>
public sealed record ChildProcessResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The last non-empty line of stderr (where ssh and rsync put their reason), or a note that there was none.</summary>
    public string Reason()
    {
        var line = Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        return line is null ? $"exit code {ExitCode}, no message" : VersionName.Printable(line.Length > 300 ? line[..300] : line);
    }
}
