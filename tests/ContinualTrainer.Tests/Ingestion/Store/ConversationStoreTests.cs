using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Store;

namespace ContinualTrainer.Tests.Ingestion.Store;

/// <summary>What the example layer builds on: stable ids, a change sequence, paging by it, and the change signal.</summary>
public sealed class ConversationStoreTests : IDisposable
{
    private readonly Inbox inbox = new();

    public void Dispose() => inbox.Dispose();

    [Fact]
    public async Task A_conversation_keeps_its_id_and_gets_a_new_seq_each_time_its_messages_change()
    {
        var log = inbox.Write(inbox.AgentLogs, "log.jsonl", Samples.Events("s", 0, 2));
        var chats = inbox.Write(inbox.Transcripts, "chats.jsonl", Samples.Chats(0, 2));
        await inbox.IngestAsync(log, FileCompleteness.Growing);
        await inbox.IngestAsync(chats);
        var session = await inbox.Store.FindAsync(ConversationCategory.AgentLog, "s", CancellationToken.None);

        Inbox.Append(log, Samples.Event("s", 2));
        await inbox.IngestAsync(log, FileCompleteness.Growing);
        var grown = await inbox.Store.FindAsync(ConversationCategory.AgentLog, "s", CancellationToken.None);

        Assert.Equal(session!.Id, grown!.Id);
        Assert.Equal((1, 2), (session.Revision, grown.Revision));
        Assert.Equal(await inbox.Store.CurrentSeqAsync(CancellationToken.None), grown.Seq);
        Assert.True(grown.Seq > session.Seq);
        Assert.Equal(3, grown.ReadMessages().Count);
        Assert.Equal(grown.ContentSha256, grown.ToCanonical().ContentHash);
    }

    [Fact]
    public async Task Paging_by_seq_returns_every_change_once_in_commit_order_with_the_latest_content()
    {
        var log = inbox.Write(inbox.AgentLogs, "log.jsonl", Samples.Events("s", 0, 2));
        await inbox.IngestAsync(log, FileCompleteness.Growing);
        var chats = inbox.Write(inbox.Transcripts, "chats.jsonl", Samples.Chats(0, 3));
        await inbox.IngestAsync(chats);
        var seen = await inbox.Store.ReadChangedSinceAsync(0, 100, CancellationToken.None);
        var last = seen[^1].Seq;

        Inbox.Append(log, Samples.Event("s", 2));
        await inbox.IngestAsync(log, FileCompleteness.Growing);
        var pages = new List<StoredConversation>();
        for (var after = last; ;)
        {
            var page = await inbox.Store.ReadChangedSinceAsync(after, 1, CancellationToken.None);
            if (page.Count == 0) break;
            pages.AddRange(page);
            after = page[^1].Seq;
        }

        Assert.Equal(4, seen.Count);
        Assert.Equal(seen.Select(c => c.Seq).Order(), seen.Select(c => c.Seq));
        var changed = Assert.Single(pages);
        Assert.Equal(("s", 3), (changed.ConversationKey, changed.MessageCount));
    }

    [Fact]
    public async Task Reading_identical_messages_again_moves_no_seq()
    {
        var chats = inbox.Write(inbox.Transcripts, "chats.jsonl", Samples.Chats(0, 3));
        await inbox.IngestAsync(chats);
        var seq = await inbox.Store.CurrentSeqAsync(CancellationToken.None);

        File.WriteAllText(chats, Samples.Chats(0, 3));
        await inbox.IngestAsync(chats);

        Assert.Equal(seq, await inbox.Store.CurrentSeqAsync(CancellationToken.None));
        Assert.Empty(await inbox.Store.ReadChangedSinceAsync(seq, 10, CancellationToken.None));
    }

    [Fact]
    public async Task A_commit_wakes_whoever_waits_for_conversation_changes()
    {
        IConversationsChanged changes = inbox.Changes;
        var waiting = changes.WaitAsync(0, CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        await inbox.IngestAsync(inbox.Write(inbox.Transcripts, "chats.jsonl", Samples.Chats(0, 2)));

        Assert.Equal(await inbox.Store.CurrentSeqAsync(CancellationToken.None), await waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(changes.LatestSeq, await changes.WaitAsync(0, CancellationToken.None));
    }

    [Fact]
    public async Task A_commit_that_changes_nothing_wakes_nobody()
    {
        var chats = inbox.Write(inbox.Transcripts, "chats.jsonl", Samples.Chats(0, 2));
        await inbox.IngestAsync(chats);
        var latest = inbox.Changes.LatestSeq;
        var waiting = inbox.Changes.WaitAsync(latest, CancellationToken.None);

        File.WriteAllText(chats, Samples.Chats(0, 2));
        await inbox.IngestAsync(chats);

        Assert.False(waiting.IsCompleted);
        Assert.Equal(latest, inbox.Changes.LatestSeq);
    }

    [Fact]
    public async Task Status_counts_conversations_files_and_skipped_lines_and_lists_the_last_files_taken()
    {
        await inbox.IngestAsync(inbox.Write(inbox.AgentLogs, "log.jsonl", Samples.Events("s", 0, 2)), FileCompleteness.Growing);
        var chats = inbox.Write(inbox.Transcripts, "chats.jsonl", Samples.Chats(0, 3) + "oops\n");
        await inbox.IngestAsync(chats);

        var status = await inbox.Store.ReadStatusAsync(CancellationToken.None);

        Assert.Equal(1, status!.Conversations["agent-log"]);
        Assert.Equal(3, status.Conversations["transcript"]);
        Assert.Equal((1L, 1L), (status.FileCount(SourceFileState.Active), status.FileCount(SourceFileState.Complete)));
        Assert.Equal(1, status.LinesSkipped);
        Assert.Equal(chats, status.LastFilesTaken[0].Path);
        Assert.Equal(2, status.LastFilesTaken.Count);
        var text = new StringWriter();
        status.WriteText(text);
        Assert.Contains("conversations: 4 (1 agent-log, 3 transcript)", text.ToString());
    }
}
