using ContinualTrainer.Ingestion.Store;

namespace ContinualTrainer.Tests.Ingestion.Store;

/// <summary><c>Ingestion:ArchiveDir</c>: finished files leave the inbox after their commit; growing ones stay.</summary>
public sealed class ArchiveTests : IDisposable
{
    private readonly Inbox inbox = new(("Ingestion:ArchiveDir", "{dir}/archive"));

    public void Dispose() => inbox.Dispose();

    [Fact]
    public async Task A_complete_transcript_is_moved_to_the_archive_after_its_conversations_are_committed()
    {
        var path = inbox.Write(inbox.Transcripts, Path.Combine("team", "chats.jsonl"), Samples.Chats(0, 3));
        var bytes = File.ReadAllBytes(path);

        var outcome = await inbox.IngestAsync(path);

        var archived = Path.Combine(inbox.Root, "archive", "team", "chats.jsonl");
        Assert.Equal((3, archived), (outcome.NewConversations, outcome.MovedTo));
        Assert.False(File.Exists(path));
        Assert.Equal(bytes, File.ReadAllBytes(archived));
        Assert.Equal("archived", await inbox.TextAsync("SELECT state FROM source_files WHERE path = $p", ("$p", archived)));
        Assert.Equal(3, (await inbox.ConversationsAsync()).Count);
    }

    [Fact]
    public async Task An_archived_name_that_is_taken_gets_a_numbered_variant()
    {
        var first = inbox.Write(inbox.Transcripts, "chats.jsonl", Samples.Chats(0, 1));
        await inbox.IngestAsync(first);
        var second = inbox.Write(inbox.Transcripts, "chats.jsonl", Samples.Chats(10, 1));

        var outcome = await inbox.IngestAsync(second);

        Assert.Equal(Path.Combine(inbox.Root, "archive", "chats.1.jsonl"), outcome.MovedTo);
        Assert.Equal(2, (await inbox.ConversationsAsync()).Count);
    }

    [Fact]
    public async Task A_growing_agent_log_stays_and_is_archived_only_once_idle()
    {
        var path = inbox.Write(inbox.AgentLogs, "log.jsonl", Samples.Events("s", 0, 3));

        var settled = await inbox.IngestAsync(path, FileCompleteness.Settled);
        Assert.True(settled.Complete);
        Assert.Null(settled.MovedTo);
        Assert.True(File.Exists(path));

        File.SetLastWriteTimeUtc(path, DateTime.UtcNow - inbox.Options.Ingestion.AgentLogIdle - TimeSpan.FromMinutes(1));
        var idle = await inbox.IngestAsync(path, FileCompleteness.Settled);

        Assert.Equal(Path.Combine(inbox.Root, "archive", "log.jsonl"), idle.MovedTo);
        Assert.False(File.Exists(path));
        Assert.Equal(3, (await inbox.ConversationsAsync())[("agent-log", "s")].MessageCount);
    }
}
