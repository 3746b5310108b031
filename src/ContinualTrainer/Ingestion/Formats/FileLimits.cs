namespace ContinualTrainer.Ingestion.Formats;

/// <summary>The limit checks every parser applies, with their one-line reasons.</summary>
internal static class FileLimits
{
    /// <summary>A quarantine reason when the file is larger than <see cref="IngestionLimits.MaxFileBytes"/>, else null.</summary>
    public static QuarantineReason? TooLarge(Stream stream, IngestionLimits limits) =>
        stream.Length > limits.MaxFileBytes
            ? new QuarantineReason($"file is {stream.Length} bytes, more than the limit of {limits.MaxFileBytes} (IngestionLimits.MaxFileBytes)")
            : null;

    /// <summary>The skip record for a line longer than <see cref="IngestionLimits.MaxLineBytes"/>.</summary>
    public static SkippedLine LineTooLong(long lineNumber, IngestionLimits limits) =>
        new(lineNumber, $"line is longer than {limits.MaxLineBytes} bytes (IngestionLimits.MaxLineBytes)");

    /// <summary>The reason a conversation with <paramref name="count"/> messages is refused.</summary>
    public static string TooManyMessages(int count, int max) =>
        $"{count} messages, more than the limit of {max} (IngestionLimits.MaxMessagesPerConversation)";
}
