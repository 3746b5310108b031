namespace ContinualTrainer.Hosting;

/// <summary>What the process can tell about being run by systemd, from the variables the service manager sets.</summary>
public static class SystemdEnvironment
{
    /// <summary>True when started by systemd (it sets INVOCATION_ID for every unit, NOTIFY_SOCKET for Type=notify).</summary>
    public static bool IsUnderSystemd =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("INVOCATION_ID"))
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));

    /// <summary>True when stdout/stderr go to the journal, so log lines should carry &lt;N&gt; priority prefixes.</summary>
    public static bool LogsToJournal =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOURNAL_STREAM")) || IsUnderSystemd;
}
