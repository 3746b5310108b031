namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// A line (or, in a JSON document, the element starting on that line) that was left out; the rest of the
/// file is kept.
/// </summary>
/// <param name="LineNumber">1-based line number in the source file.</param>
/// <param name="Reason">One line saying what was wrong.</param>
public sealed record SkippedLine(long LineNumber, string Reason) : ParseRecord;
