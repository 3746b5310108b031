namespace ContinualTrainer.Ingestion.Conversations;

/// <summary>
/// A conversation read from a transcript or an agent log, in the canonical form the database stores and
/// the dataset layer turns into training examples.
/// </summary>
/// <param name="ConversationKey">
/// Stable identity of the conversation across re-reads: the session id for agent logs; for transcripts
/// <c>{SourceFile}#L{line}</c> (one conversation per JSONL line) or <c>{SourceFile}#{index}</c> (the
/// 0-based index of the conversation in a JSON document / array or a plain-text file).
/// </param>
/// <param name="SessionId">The agent session id (agent logs only).</param>
/// <param name="Category">Agent log or transcript.</param>
/// <param name="SourceFile">The file name the caller passed in <c>ParseRequest.SourceFile</c>.</param>
/// <param name="FirstLine">1-based line of the source file where the conversation starts.</param>
/// <param name="LastLine">1-based line where it ends (inclusive).</param>
/// <param name="Messages">The messages in order.</param>
public sealed record CanonicalConversation(
    string ConversationKey,
    string? SessionId,
    ConversationCategory Category,
    string SourceFile,
    long FirstLine,
    long LastLine,
    IReadOnlyList<CanonicalMessage> Messages)
{
    /// <summary>
    /// SHA-256 (lower-case hex) of <see cref="CanonicalJson.SerializeMessages"/> of <see cref="Messages"/>:
    /// changes exactly when a stored message would change. Computed on each access.
    /// </summary>
    public string ContentHash => CanonicalJson.ContentHash(Messages);

    public bool Equals(CanonicalConversation? other) =>
        other is not null
        && string.Equals(ConversationKey, other.ConversationKey, StringComparison.Ordinal)
        && string.Equals(SessionId, other.SessionId, StringComparison.Ordinal)
        && Category == other.Category
        && string.Equals(SourceFile, other.SourceFile, StringComparison.Ordinal)
        && FirstLine == other.FirstLine
        && LastLine == other.LastLine
        && Messages.SequenceEqual(other.Messages);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(ConversationKey, StringComparer.Ordinal);
        hash.Add(Category);
        hash.Add(FirstLine);
        hash.Add(Messages.Count);
        return hash.ToHashCode();
    }
}
