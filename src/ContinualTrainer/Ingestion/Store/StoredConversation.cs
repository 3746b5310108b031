using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;

namespace ContinualTrainer.Ingestion.Store;

/// <summary>
/// One row of <c>conversations</c>: a canonical conversation as stored, with the bookkeeping the example layer
/// needs to find what is new or changed (<see cref="Seq"/>) and to cache per conversation (<see cref="Id"/>,
/// <see cref="ContentSha256"/>).
/// </summary>
/// <param name="Id">Stable id: never changes, however often the conversation grows.</param>
/// <param name="Seq">
/// Position in the store's change order: a fresh, larger value from the store-wide sequence every time the
/// conversation is inserted or its messages change; unchanged when a re-read finds the same messages.
/// </param>
/// <param name="Revision">1 when inserted, +1 at every change of its messages.</param>
/// <param name="Category">From the folder the file came from.</param>
/// <param name="ConversationKey">Unique within <paramref name="Category"/>: the session id, or <c>{file}#L{line}</c> / <c>{file}#{index}</c>.</param>
/// <param name="SessionId">The agent session id, for agent logs.</param>
/// <param name="SourceFileId">The <c>source_files</c> row it was first read from.</param>
/// <param name="SourceFile">The source name (absolute path when first seen) of that file.</param>
/// <param name="Format">The format of the file that last changed it.</param>
/// <param name="FirstLine">1-based first line in the source file.</param>
/// <param name="LastLine">1-based last line (inclusive).</param>
/// <param name="MessageCount">Number of messages.</param>
/// <param name="ContentSha256">Equals <see cref="CanonicalConversation.ContentHash"/>: SHA-256 of <paramref name="MessagesJson"/>.</param>
/// <param name="MessagesJson">The messages as <see cref="CanonicalJson"/> (UTF-8).</param>
/// <param name="CreatedUtc">When it was first stored.</param>
/// <param name="UpdatedUtc">When its messages last changed.</param>
public sealed record StoredConversation(
    long Id,
    long Seq,
    int Revision,
    ConversationCategory Category,
    string ConversationKey,
    string? SessionId,
    long SourceFileId,
    string SourceFile,
    ConversationFormat Format,
    long FirstLine,
    long LastLine,
    int MessageCount,
    string ContentSha256,
    byte[] MessagesJson,
    DateTimeOffset CreatedUtc,
    DateTimeOffset UpdatedUtc)
{
    /// <summary>The messages, read back from <see cref="MessagesJson"/>.</summary>
    public IReadOnlyList<CanonicalMessage> ReadMessages() => CanonicalJson.DeserializeMessages(MessagesJson);

    /// <summary>The conversation in its canonical, model-independent form.</summary>
    public CanonicalConversation ToCanonical() =>
        new(ConversationKey, SessionId, Category, SourceFile, FirstLine, LastLine, ReadMessages());
}
