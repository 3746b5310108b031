namespace ContinualTrainer.Configuration;

/// <summary>Section <c>Ingestion</c>: the watched folders.</summary>
public sealed record IngestionOptions
{
    /// <summary><c>Ingestion:AgentLogs</c>: folders of agent session logs (JSONL, appended live). Default <c>STATE/inbox/agent-logs</c>.</summary>
    public required IReadOnlyList<string> AgentLogs { get; init; }

    /// <summary><c>Ingestion:Transcripts</c>: folders of finished conversation transcripts. Default <c>STATE/inbox/transcripts</c>.</summary>
    public required IReadOnlyList<string> Transcripts { get; init; }

    public static IngestionOptions Read(SettingsReader reader, PathsOptions paths)
    {
        return new IngestionOptions
        {
            AgentLogs = Folders(reader, "Ingestion:AgentLogs", Path.Combine(paths.Inbox, "agent-logs")),
            Transcripts = Folders(reader, "Ingestion:Transcripts", Path.Combine(paths.Inbox, "transcripts")),
        };
    }

    private static IReadOnlyList<string> Folders(SettingsReader reader, string key, string defaultFolder)
    {
        var list = reader.GetList(key, [defaultFolder]);
        if (list.Count == 0) throw SettingsReader.Invalid(key, "[]", "at least one folder");
        return list.Select(p => Path.GetFullPath(p)).Distinct(StringComparer.Ordinal).ToList();
    }
}
