namespace ContinualTrainer.Cli;

/// <summary>Process exit codes shared by every verb.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>The command was understood but failed (bad input file, bad configuration, I/O error).</summary>
    public const int Failure = 1;
    /// <summary>The command line itself is wrong (unknown verb or option, missing or malformed value).</summary>
    public const int Usage = 2;
}
