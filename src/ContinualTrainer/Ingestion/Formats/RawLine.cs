namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// One line handed out by <see cref="LineReader"/>: its bytes without the line ending (valid only until
/// the next read), its 1-based number and its byte range in the file.
/// </summary>
/// <param name="Content">The line's bytes without '\n' / "\r\n"; empty when <paramref name="IsTooLong"/>.</param>
/// <param name="Number">1-based line number.</param>
/// <param name="StartOffset">File offset of the line's first byte.</param>
/// <param name="EndOffset">File offset just after the line's '\n' (or the end of a complete file).</param>
/// <param name="IsTooLong">True when the line exceeded the limit and was skipped without being buffered.</param>
internal readonly record struct RawLine(ReadOnlyMemory<byte> Content, long Number, long StartOffset, long EndOffset, bool IsTooLong)
{
    /// <summary>True for a line of nothing but spaces, tabs and carriage returns.</summary>
    public bool IsBlank => !IsTooLong && Content.Span.IndexOfAnyExcept(" \t\r"u8) < 0;
}
