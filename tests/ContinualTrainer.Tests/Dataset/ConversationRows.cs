using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;
using ContinualTrainer.Ingestion.Store;
using ContinualTrainer.State;

namespace ContinualTrainer.Tests.Dataset;

/// <summary>
/// Stores conversations through the conversation store's own session (as ingestion does, minus the files): every
/// insert or change takes the next value of the store-wide sequence.
/// </summary>
internal sealed class ConversationRows(StateDatabase database)
{
    private long inodes;

    /// <summary>Inserts, or replaces the messages of, the conversation <paramref name="key"/>; returns its id.</summary>
    public Task<long> PutAsync(
        string key, IReadOnlyList<CanonicalMessage> messages, string sourceFile = "/inbox/transcripts/a.jsonl",
        ConversationCategory category = ConversationCategory.Transcript, string? session = null) =>
        database.InTransactionAsync(async (connection, transaction, ct) =>
        {
            await using var store = new StoreSession(connection, transaction);
            var now = DateTimeOffset.UtcNow;
            var fileId = (await store.ReadFileAsync(sourceFile, ct))?.Id
                ?? await store.InsertFileAsync(sourceFile, sourceFile, category, new FileStat(1, Interlocked.Increment(ref inodes), 0, 0, true), now, ct);
            var conversation = new CanonicalConversation(key, session, category, sourceFile, 1, messages.Count, messages);
            var json = CanonicalJson.SerializeMessages(messages);
            var seq = await store.NextSeqAsync(ct);
            if (await store.ReadConversationHeadAsync(category, key, ct) is { } head)
            {
                await store.UpdateConversationAsync(head.Id, conversation, ConversationFormat.OpenAi, json, conversation.ContentHash, seq, now, ct);
                return head.Id;
            }
            await store.InsertConversationAsync(conversation, ConversationFormat.OpenAi, json, conversation.ContentHash, fileId, seq, now, ct);
            return (await store.ReadConversationHeadAsync(category, key, ct))!.Value.Id;
        }, CancellationToken.None);

    /// <summary>A migrated state database in <paramref name="folder"/>.</summary>
    public static async Task<StateDatabase> CreateDatabaseAsync(string folder)
    {
        var database = new StateDatabase(Path.Combine(folder, "state.db"));
        await database.MigrateAsync(CancellationToken.None);
        return database;
    }
}
