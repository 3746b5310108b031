namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// What to parse: where to start in a (possibly growing) file and whether the file is finished.
/// </summary>
/// <param name="SourceFile">
/// The name the file is known by (typically its path relative to the watched folder); it is copied into
/// <see cref="Conversations.CanonicalConversation.SourceFile"/> and into transcript conversation keys.
/// </param>
/// <param name="FileIsComplete">
/// True when nothing more will be appended: only then is a last line without a trailing '\n' consumed,
/// and only then are whole-file layouts (JSON documents, plain text) parsed at all.
/// </param>
/// <param name="StartOffset">Byte offset to resume at: a <see cref="ParseCompleted.EndOffset"/> from an earlier run, or 0.</param>
/// <param name="StartLineNumber">1-based number of the line at <paramref name="StartOffset"/>: the matching <see cref="ParseCompleted.NextLineNumber"/>.</param>
public sealed record ParseRequest(string SourceFile, bool FileIsComplete, long StartOffset = 0, long StartLineNumber = 1)
{
    /// <summary>Throws <see cref="ArgumentException"/> when the offsets cannot describe a position in a file.</summary>
    public ParseRequest Validate()
    {
        if (string.IsNullOrEmpty(SourceFile)) throw new ArgumentException("ParseRequest.SourceFile is empty", nameof(SourceFile));
        if (StartOffset < 0) throw new ArgumentOutOfRangeException(nameof(StartOffset), StartOffset, "must not be negative");
        if (StartLineNumber < 1) throw new ArgumentOutOfRangeException(nameof(StartLineNumber), StartLineNumber, "is 1-based");
        if (StartOffset == 0 && StartLineNumber != 1)
            throw new ArgumentOutOfRangeException(nameof(StartLineNumber), StartLineNumber, "must be 1 at offset 0");
        return this;
    }
}
