using System.Globalization;
using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;
using ContinualTrainer.Ingestion.Watching;

namespace ContinualTrainer.Configuration;

/// <summary>
/// Section <c>Ingestion</c>: the watched folders, when a file counts as complete, the limits on what is read,
/// and where quarantined and fully ingested files are moved (only when configured: otherwise inputs are never touched).
/// </summary>
public sealed record IngestionOptions
{
    /// <summary><c>Ingestion:AgentLogs</c>: folders of agent session logs (JSONL, appended live). Default <c>STATE/inbox/agent-logs</c>.</summary>
    public required IReadOnlyList<string> AgentLogs { get; init; }

    /// <summary><c>Ingestion:Transcripts</c>: folders of finished conversation transcripts. Default <c>STATE/inbox/transcripts</c>.</summary>
    public required IReadOnlyList<string> Transcripts { get; init; }

    /// <summary>
    /// <c>Ingestion:Formats</c>: format overrides, each <c>FORMAT:FOLDER</c> (e.g. <c>sharegpt:/srv/inbox/transcripts/exports</c>):
    /// files in FOLDER (a watched folder or one inside it) are read as FORMAT instead of being detected.
    /// The innermost matching folder wins. Default: none (every file's format is detected from its first bytes).
    /// </summary>
    public IReadOnlyList<FolderFormat> Formats { get; init; } = [];

    /// <summary><c>Ingestion:SettleSeconds</c>: a file written in place is complete once its size and mtime have not changed for this long (default 2).</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary><c>Ingestion:RescanSeconds</c>: period of the full rescan that catches what the watchers missed (default 30).</summary>
    public TimeSpan Rescan { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// <c>Ingestion:AgentLogIdleSeconds</c>: an agent log unchanged this long is finished (default 300): a last line
    /// without a newline is read only then, and only then is the log archived.
    /// </summary>
    public TimeSpan AgentLogIdle { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary><c>Ingestion:MaxFileBytes</c>, <c>MaxLineBytes</c>, <c>MaxMessagesPerConversation</c>: what the parsers accept.</summary>
    public IngestionLimits Limits { get; init; } = IngestionLimits.Default;

    /// <summary><c>Ingestion:Text:SystemPrefixes</c>, <c>UserPrefixes</c>, <c>AssistantPrefixes</c>, <c>ToolPrefixes</c>: speaker prefixes of plain-text transcripts.</summary>
    public TextTranscriptOptions Text { get; init; } = TextTranscriptOptions.Default;

    /// <summary><c>Ingestion:QuarantineDir</c>: where files that cannot be parsed are moved; null (default) leaves them in place.</summary>
    public string? QuarantineDir { get; init; }

    /// <summary><c>Ingestion:ArchiveDir</c>: where fully ingested, finished files are moved; null (default) leaves them in place.</summary>
    public string? ArchiveDir { get; init; }

    /// <summary>Every watched folder with its category.</summary>
    public IReadOnlyList<InboxRoot> Roots =>
        [.. AgentLogs.Select(p => new InboxRoot(p, ConversationCategory.AgentLog)), .. Transcripts.Select(p => new InboxRoot(p, ConversationCategory.Transcript))];

    public static IngestionOptions Read(SettingsReader reader, PathsOptions paths)
    {
        var agentLogs = Folders(reader, "Ingestion:AgentLogs", Path.Combine(paths.Inbox, "agent-logs"));
        var transcripts = Folders(reader, "Ingestion:Transcripts", Path.Combine(paths.Inbox, "transcripts"));
        var watched = agentLogs.Concat(transcripts).ToList();
        foreach (var folder in watched)
        {
            var outer = watched.FirstOrDefault(other => other != folder && InboxPaths.IsInside(folder, other));
            if (outer is not null)
                throw new ConfigurationException($"Ingestion: watched folder {folder} is inside watched folder {outer}; a file must belong to one folder");
        }
        var settle = reader.GetSeconds("Ingestion:SettleSeconds", TimeSpan.FromSeconds(2), 0, 3600);
        var idle = reader.GetSeconds("Ingestion:AgentLogIdleSeconds", TimeSpan.FromSeconds(300), 1, 30 * 86400);
        if (idle < settle)
            throw SettingsReader.Invalid("Ingestion:AgentLogIdleSeconds", idle.TotalSeconds.ToString(CultureInfo.InvariantCulture), $"at least Ingestion:SettleSeconds ({settle.TotalSeconds.ToString(CultureInfo.InvariantCulture)})");
        return new IngestionOptions
        {
            AgentLogs = agentLogs,
            Transcripts = transcripts,
            Formats = FolderFormats(reader, watched),
            Settle = settle,
            Rescan = reader.GetSeconds("Ingestion:RescanSeconds", TimeSpan.FromSeconds(30), 1, 86400),
            AgentLogIdle = idle,
            Limits = new IngestionLimits
            {
                MaxFileBytes = GetLong(reader, "Ingestion:MaxFileBytes", IngestionLimits.Default.MaxFileBytes, 1, 1L << 40),
                MaxLineBytes = reader.GetInt("Ingestion:MaxLineBytes", IngestionLimits.Default.MaxLineBytes, 1, 1 << 30),
                MaxMessagesPerConversation = reader.GetInt("Ingestion:MaxMessagesPerConversation", IngestionLimits.Default.MaxMessagesPerConversation, 1, 10_000_000),
            },
            Text = TextOptions(reader),
            QuarantineDir = MoveTarget(reader, "Ingestion:QuarantineDir", watched),
            ArchiveDir = MoveTarget(reader, "Ingestion:ArchiveDir", watched),
        };
    }

    private static IReadOnlyList<string> Folders(SettingsReader reader, string key, string defaultFolder)
    {
        var list = reader.GetList(key, [defaultFolder]);
        if (list.Count == 0) throw SettingsReader.Invalid(key, "[]", "at least one folder");
        foreach (var folder in list)
        {
            if (folder.IndexOfAny(Path.GetInvalidPathChars()) >= 0) throw SettingsReader.Invalid(key, folder, "folder paths");
        }
        return list.Select(p => Path.TrimEndingDirectorySeparator(Path.GetFullPath(p))).Distinct(StringComparer.Ordinal).ToList();
    }

    private static IReadOnlyList<FolderFormat> FolderFormats(SettingsReader reader, IReadOnlyList<string> watched)
    {
        const string key = "Ingestion:Formats";
        var formats = new List<FolderFormat>();
        foreach (var entry in reader.GetList(key, []))
        {
            var colon = entry.IndexOf(':');
            var name = colon > 0 ? entry[..colon] : "";
            if (!ConversationFormatNames.TryParse(name, out var format) || colon == entry.Length - 1)
                throw SettingsReader.Invalid(key, entry, "entries FORMAT:FOLDER with FORMAT one of openai, sharegpt, agent-log, text");
            var folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(entry[(colon + 1)..]));
            if (!watched.Any(root => InboxPaths.IsInside(folder, root) || folder == root))
                throw SettingsReader.Invalid(key, entry, "a FOLDER that is a watched folder (Ingestion:AgentLogs, Ingestion:Transcripts) or inside one");
            formats.Add(new FolderFormat(folder, format));
        }
        return formats;
    }

    private static TextTranscriptOptions TextOptions(SettingsReader reader)
    {
        var defaults = TextTranscriptOptions.Default;
        var options = defaults with
        {
            SystemPrefixes = Prefixes(reader, "Ingestion:Text:SystemPrefixes", defaults.SystemPrefixes),
            UserPrefixes = Prefixes(reader, "Ingestion:Text:UserPrefixes", defaults.UserPrefixes),
            AssistantPrefixes = Prefixes(reader, "Ingestion:Text:AssistantPrefixes", defaults.AssistantPrefixes),
            ToolPrefixes = Prefixes(reader, "Ingestion:Text:ToolPrefixes", defaults.ToolPrefixes),
        };
        try
        {
            return options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ConfigurationException($"Ingestion:Text: {e.Message}");
        }
    }

    private static IReadOnlyList<string> Prefixes(SettingsReader reader, string key, IReadOnlyList<string> defaults)
    {
        var list = reader.GetList(key, defaults);
        if (list.Count == 0) throw SettingsReader.Invalid(key, "[]", "at least one prefix");
        return list;
    }

    private static string? MoveTarget(SettingsReader reader, string key, IReadOnlyList<string> watched)
    {
        var value = reader.GetString(key);
        if (value is null) return null;
        if (value.IndexOfAny(Path.GetInvalidPathChars()) >= 0) throw SettingsReader.Invalid(key, value, "a folder path");
        var folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(value));
        var inside = watched.FirstOrDefault(root => folder == root || InboxPaths.IsInside(folder, root));
        if (inside is not null) throw SettingsReader.Invalid(key, value, $"a folder outside the watched folder {inside} (files moved there would be read again)");
        return folder;
    }

    private static long GetLong(SettingsReader reader, string key, long defaultValue, long min, long max)
    {
        var raw = reader.GetString(key);
        if (raw is null) return defaultValue;
        if (!long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw SettingsReader.Invalid(key, raw, $"a whole number of bytes from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
        return value;
    }
}
