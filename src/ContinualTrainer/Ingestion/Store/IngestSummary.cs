using System.Globalization;

namespace ContinualTrainer.Ingestion.Store;

/// <summary>What an <c>ingest</c> run did, file by file, summed up for its report.</summary>
public sealed class IngestSummary
{
    private readonly List<IngestOutcome> outcomes = [];
    private readonly List<(string Path, string Error)> failures = [];

    public IReadOnlyList<IngestOutcome> Outcomes => outcomes;

    /// <summary>Files whose pass failed (I/O, database), with the error.</summary>
    public IReadOnlyList<(string Path, string Error)> Failures => failures;

    public void Add(IngestOutcome outcome) => outcomes.Add(outcome);

    public void AddFailure(string path, string error) => failures.Add((path, error));

    public int Count(IngestDisposition disposition) => outcomes.Count(o => o.Disposition == disposition);

    public int NewConversations => outcomes.Sum(o => o.NewConversations);

    public int UpdatedConversations => outcomes.Sum(o => o.UpdatedConversations);

    public int UnchangedConversations => outcomes.Sum(o => o.UnchangedConversations);

    public int LinesSkipped => outcomes.Sum(o => o.LinesSkipped);

    /// <summary>Writes the report: totals, then the skipped lines, quarantined, waiting, duplicate, moved and failed files.</summary>
    public void WriteText(TextWriter output)
    {
        output.WriteLine(
            $"files:         {N(outcomes.Count + failures.Count)} ({N(Count(IngestDisposition.Taken))} taken, {N(Count(IngestDisposition.Unchanged))} unchanged, "
            + $"{N(Count(IngestDisposition.Waiting))} waiting, {N(Count(IngestDisposition.Quarantined))} quarantined, "
            + $"{N(Count(IngestDisposition.Duplicate))} duplicates, {N(failures.Count)} failed)");
        output.WriteLine($"conversations: {N(NewConversations)} new, {N(UpdatedConversations)} changed, {N(UnchangedConversations)} unchanged");
        output.WriteLine($"lines skipped: {N(LinesSkipped)}");
        foreach (var outcome in outcomes.Where(o => o.LinesSkipped > 0))
        {
            foreach (var line in outcome.FirstSkippedLines) output.WriteLine($"  {outcome.Path} line {line.LineNumber}: {line.Reason}");
            var more = outcome.LinesSkipped - outcome.FirstSkippedLines.Count;
            if (more > 0) output.WriteLine($"  {outcome.Path}: ... and {N(more)} more");
        }
        foreach (var outcome in outcomes)
        {
            var note = outcome.Disposition switch
            {
                IngestDisposition.Quarantined => "quarantined",
                IngestDisposition.Waiting => "waiting",
                IngestDisposition.Duplicate => "duplicate",
                _ => null,
            };
            if (note is not null) output.WriteLine($"{note + ":",-15}{outcome.Path}: {outcome.Reason}");
            if (outcome.MovedFrom is { } from) output.WriteLine($"moved:         {outcome.Path} (recorded as {from}; not read again)");
            if (outcome.MovedTo is { } to) output.WriteLine($"moved:         {outcome.Path} -> {to}");
        }
        foreach (var (path, error) in failures) output.WriteLine($"failed:        {path}: {error}");
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
