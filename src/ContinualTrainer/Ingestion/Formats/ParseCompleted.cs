namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// Terminal record: how far the input was consumed. Resume the next run with
/// <c>StartOffset = EndOffset</c> and <c>StartLineNumber = NextLineNumber</c>.
/// </summary>
/// <param name="EndOffset">Byte offset just after the last complete line consumed (unchanged when nothing could be consumed yet).</param>
/// <param name="NextLineNumber">1-based number of the line starting at <paramref name="EndOffset"/>.</param>
public sealed record ParseCompleted(long EndOffset, long NextLineNumber) : ParseRecord;
