namespace ContinualTrainer.Checkpoints;

/// <summary>POSIX shell single-quoting for the scripts sent to the storage host: <c>it's</c> → <c>'it'\''s'</c>.</summary>
public static class ShellQuote
{
    public static string Quote(string value)
    {
        if (value.Contains('\0')) throw new ArgumentException("a shell argument cannot contain NUL", nameof(value));
        return "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
