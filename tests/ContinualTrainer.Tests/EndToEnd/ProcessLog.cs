namespace ContinualTrainer.Tests.EndToEnd;

/// <summary>
/// The output of every process a scenario started (each daemon run, Prometheus), one line per entry tagged with
/// its source, so a failed assertion can show what the processes said last.
/// </summary>
internal sealed class ProcessLog
{
    private readonly List<string> lines = [];

    public void Add(string source, string? line)
    {
        if (line is null) return;
        lock (lines) lines.Add($"[{source}] {line}");
    }

    /// <summary>The last <paramref name="count"/> lines.</summary>
    public string Tail(int count)
    {
        lock (lines) return string.Join('\n', lines.TakeLast(count));
    }
}
