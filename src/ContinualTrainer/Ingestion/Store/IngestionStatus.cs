using System.Globalization;

namespace ContinualTrainer.Ingestion.Store;

/// <summary>The ingestion part of <c>continual-trainer status</c>: what is stored, what was taken last, what was set aside.</summary>
public sealed record IngestionStatus
{
    /// <summary>Stored conversations by category (<c>agent-log</c>, <c>transcript</c>).</summary>
    public required IReadOnlyDictionary<string, long> Conversations { get; init; }

    /// <summary>Recorded input files by state (<c>active</c>, <c>complete</c>, <c>quarantined</c>, <c>archived</c>, <c>duplicate</c>).</summary>
    public required IReadOnlyDictionary<string, long> Files { get; init; }

    /// <summary>Lines left out of the recorded files, as they are now.</summary>
    public long LinesSkipped { get; init; }

    /// <summary>The conversation sequence's current value (see <see cref="StoredConversation.Seq"/>).</summary>
    public long LatestSeq { get; init; }

    /// <summary>The files content was most recently taken from, newest first.</summary>
    public IReadOnlyList<IngestedFile> LastFilesTaken { get; init; } = [];

    /// <summary>Quarantined files, newest first (at most <see cref="ConversationStore.StatusListLength"/>; <see cref="Files"/> has the count).</summary>
    public IReadOnlyList<QuarantinedFile> Quarantined { get; init; } = [];

    public long ConversationCount => Conversations.Values.Sum();

    public long FileCount(SourceFileState state) => Files.GetValueOrDefault(state.ToName());

    /// <summary>The human-readable lines of <c>status</c>.</summary>
    public void WriteText(TextWriter output)
    {
        var byCategory = string.Join(", ", Conversations.Select(c => $"{N(c.Value)} {c.Key}"));
        output.WriteLine($"conversations: {N(ConversationCount)} ({byCategory})");
        var files = string.Join(", ", Files.Where(f => f.Value > 0).Select(f => $"{N(f.Value)} {f.Key}"));
        output.WriteLine($"input files:   {(files.Length == 0 ? "none yet" : files)}; {N(LinesSkipped)} lines skipped");
        foreach (var file in LastFilesTaken)
            output.WriteLine($"taken:         {file.LastIngestedUtc} {file.Path} ({file.Category}, {file.Format ?? "?"}, {file.State}, {N(file.Conversations)} conversations)");
        foreach (var file in Quarantined) output.WriteLine($"quarantined:   {file.Path}: {file.Reason}");
        var more = FileCount(SourceFileState.Quarantined) - Quarantined.Count;
        if (more > 0) output.WriteLine($"quarantined:   ... and {N(more)} more");
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
