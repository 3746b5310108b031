namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// How plain-text transcripts are split into turns: a line that starts with one of the speaker prefixes
/// (ordinal, case-sensitive, at the very start of the line) opens a turn of that role, and the rest of
/// that line plus every following line up to the next speaker line is its text.
/// </summary>
public sealed record TextTranscriptOptions
{
    /// <summary>The default prefixes <c>System:</c>, <c>User:</c>, <c>Assistant:</c>, <c>Tool:</c> and separator <c>---</c>.</summary>
    public static TextTranscriptOptions Default { get; } = new();

    public IReadOnlyList<string> SystemPrefixes { get; init; } = ["System:"];

    public IReadOnlyList<string> UserPrefixes { get; init; } = ["User:"];

    public IReadOnlyList<string> AssistantPrefixes { get; init; } = ["Assistant:"];

    public IReadOnlyList<string> ToolPrefixes { get; init; } = ["Tool:"];

    /// <summary>
    /// A line that separates conversations in one file (trailing whitespace ignored), or null for one
    /// conversation per file. It only separates when the next non-blank line starts a speaker turn (or the
    /// file ends); otherwise it is ordinary text, so a Markdown rule <c>---</c> inside a reply stays in the reply.
    /// </summary>
    public string? ConversationSeparator { get; init; } = "---";

    /// <summary>Throws <see cref="ArgumentException"/> when a prefix or the separator is empty or spans lines.</summary>
    public TextTranscriptOptions Validate()
    {
        var prefixes = SystemPrefixes.Concat(UserPrefixes).Concat(AssistantPrefixes).Concat(ToolPrefixes).ToList();
        if (prefixes.Count == 0) throw new ArgumentException("TextTranscriptOptions: no speaker prefixes");
        foreach (var prefix in prefixes)
        {
            if (string.IsNullOrWhiteSpace(prefix) || prefix.Contains('\n') || prefix.Contains('\r'))
                throw new ArgumentException($"TextTranscriptOptions: speaker prefix '{prefix}' is blank or spans lines");
        }
        if (ConversationSeparator is { } separator
            && (string.IsNullOrWhiteSpace(separator) || separator.Contains('\n') || separator.Contains('\r')))
            throw new ArgumentException($"TextTranscriptOptions: conversation separator '{separator}' is blank or spans lines");
        return this;
    }
}
