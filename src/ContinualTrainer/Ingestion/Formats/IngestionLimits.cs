namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// Bounds on what the parsers accept, so that hostile or broken input is rejected with a clear reason
/// instead of exhausting memory. Lines are read through a buffer of at most <see cref="MaxLineBytes"/>;
/// a longer line is skipped by scanning to its end without buffering it.
/// </summary>
public sealed record IngestionLimits
{
    /// <summary>Default limits: 256 MiB files, 16 MiB lines, 10,000 messages per conversation, JSON depth 64.</summary>
    public static IngestionLimits Default { get; } = new();

    /// <summary>Largest file accepted, in bytes; a larger file is quarantined unread.</summary>
    public long MaxFileBytes { get; init; } = 256L << 20;

    /// <summary>Longest line accepted, in bytes, not counting the line ending.</summary>
    public int MaxLineBytes { get; init; } = 16 << 20;

    /// <summary>Most messages one conversation may have.</summary>
    public int MaxMessagesPerConversation { get; init; } = 10_000;

    /// <summary>Deepest JSON nesting accepted (System.Text.Json <c>MaxDepth</c>).</summary>
    public int MaxJsonDepth { get; init; } = 64;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first limit that is not positive.</summary>
    public IngestionLimits Validate()
    {
        if (MaxFileBytes <= 0) throw new ArgumentOutOfRangeException(nameof(MaxFileBytes), MaxFileBytes, "must be positive");
        if (MaxLineBytes <= 0 || MaxLineBytes > Array.MaxLength - 2)
            throw new ArgumentOutOfRangeException(nameof(MaxLineBytes), MaxLineBytes, $"must be between 1 and {Array.MaxLength - 2}");
        if (MaxMessagesPerConversation <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxMessagesPerConversation), MaxMessagesPerConversation, "must be positive");
        if (MaxJsonDepth <= 0) throw new ArgumentOutOfRangeException(nameof(MaxJsonDepth), MaxJsonDepth, "must be positive");
        return this;
    }
}
