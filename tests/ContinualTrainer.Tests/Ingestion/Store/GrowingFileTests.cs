using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Store;

namespace ContinualTrainer.Tests.Ingestion.Store;

/// <summary>Files that grow, shrink and get replaced under the ingester: nothing lost, nothing twice.</summary>
public sealed class GrowingFileTests : IDisposable
{
    private readonly Inbox inbox = new();

    public void Dispose() => inbox.Dispose();

    private async Task AssertStoreMatchesParsers(params (string Path, ConversationCategory Category)[] files)
    {
        var expected = ParserOracle.Expected(files);
        var stored = await inbox.ConversationsAsync();
        Assert.Equal(expected.Keys.Order(), stored.Keys.Order());
        foreach (var (key, hash) in expected) Assert.Equal(hash, stored[key].ContentSha256);
    }

    private Task<long> StoredOffset(string path) => inbox.ScalarAsync("SELECT read_offset FROM source_files WHERE path = $p", ("$p", path));

    [Fact]
    public async Task A_growing_agent_log_is_taken_in_steps_and_a_half_written_line_waits_for_its_end()
    {
        var path = inbox.Write(inbox.AgentLogs, "session.jsonl", Samples.Events("s1", 0, 3));

        var first = await inbox.IngestAsync(path, FileCompleteness.Growing);
        Assert.Equal((IngestDisposition.Taken, 1, 0), (first.Disposition, first.NewConversations, first.UpdatedConversations));
        Assert.Equal(3, (await inbox.ConversationsAsync())[("agent-log", "s1")].MessageCount);

        var fourth = Samples.Event("s1", 3);
        Inbox.Append(path, fourth[..25]);
        var halfLine = await inbox.IngestAsync(path, FileCompleteness.Growing);
        Assert.Equal(IngestDisposition.Waiting, halfLine.Disposition);
        Assert.Equal(3, (await inbox.ConversationsAsync())[("agent-log", "s1")].MessageCount);

        Inbox.Append(path, fourth[25..] + Samples.Event("s1", 4));
        var rest = await inbox.IngestAsync(path, FileCompleteness.Growing);
        Assert.Equal((IngestDisposition.Taken, 0, 1), (rest.Disposition, rest.NewConversations, rest.UpdatedConversations));

        Assert.Equal(new FileInfo(path).Length, await StoredOffset(path));
        await AssertStoreMatchesParsers((path, ConversationCategory.AgentLog));
        Assert.Equal(5, (await inbox.ConversationsAsync())[("agent-log", "s1")].MessageCount);
    }

    [Fact]
    public async Task Interleaved_sessions_in_one_log_each_grow_their_own_conversation()
    {
        var path = inbox.Write(inbox.AgentLogs, "two.jsonl", Samples.Event("a", 0) + Samples.Event("b", 0) + Samples.Event("a", 1));
        await inbox.IngestAsync(path, FileCompleteness.Growing);
        Inbox.Append(path, Samples.Event("b", 1) + Samples.Event("a", 2));
        var second = await inbox.IngestAsync(path, FileCompleteness.Growing);

        Assert.Equal(2, second.UpdatedConversations);
        await AssertStoreMatchesParsers((path, ConversationCategory.AgentLog));
    }

    [Fact]
    public async Task A_settled_agent_log_keeps_an_unterminated_last_line_until_the_log_is_idle()
    {
        var path = inbox.Write(inbox.AgentLogs, "paused.jsonl", Samples.Events("s", 0, 2) + Samples.Event("s", 2).TrimEnd('\n'));

        var settled = await inbox.IngestAsync(path, FileCompleteness.Settled);
        Assert.False(settled.Complete);
        Assert.Equal(2, (await inbox.ConversationsAsync())[("agent-log", "s")].MessageCount);

        File.SetLastWriteTimeUtc(path, DateTime.UtcNow - inbox.Options.Ingestion.AgentLogIdle - TimeSpan.FromMinutes(1));
        var idle = await inbox.IngestAsync(path, FileCompleteness.Settled);

        Assert.True(idle.Complete);
        Assert.Equal(3, (await inbox.ConversationsAsync())[("agent-log", "s")].MessageCount);
        Assert.Equal(new FileInfo(path).Length, await StoredOffset(path));
    }

    [Fact]
    public async Task A_truncated_log_is_read_again_from_the_start_without_repeating_an_event()
    {
        var path = inbox.Write(inbox.AgentLogs, "log.jsonl", Samples.Events("s", 0, 4));
        await inbox.IngestAsync(path, FileCompleteness.Growing);
        var inode = InodeOf(path);

        File.WriteAllText(path, Samples.Events("s", 0, 2));
        Assert.Equal(inode, InodeOf(path));
        var truncated = await inbox.IngestAsync(path, FileCompleteness.Growing);
        Assert.Equal((0, 0), (truncated.NewConversations, truncated.UpdatedConversations));
        Assert.Equal(4, (await inbox.ConversationsAsync())[("agent-log", "s")].MessageCount);
        Assert.Equal(new FileInfo(path).Length, await StoredOffset(path));

        Inbox.Append(path, Samples.Events("s", 2, 6));
        await inbox.IngestAsync(path, FileCompleteness.Growing);

        Assert.Equal(6, (await inbox.ConversationsAsync())[("agent-log", "s")].MessageCount);
        await AssertStoreMatchesParsers((path, ConversationCategory.AgentLog));
    }

    [Fact]
    public async Task A_file_replaced_by_an_identical_one_is_read_again_and_changes_nothing()
    {
        var path = inbox.Write(inbox.Transcripts, "chats.jsonl", Samples.Chats(0, 4));
        await inbox.IngestAsync(path);
        var before = await inbox.ConversationsAsync();
        var inode = InodeOf(path);

        ReplaceByRename(path, Samples.Chats(0, 4));
        Assert.NotEqual(inode, InodeOf(path));
        var again = await inbox.IngestAsync(path);

        Assert.Equal((IngestDisposition.Taken, 0, 0, 4), (again.Disposition, again.NewConversations, again.UpdatedConversations, again.UnchangedConversations));
        Assert.Equal(before, await inbox.ConversationsAsync());
    }

    [Fact]
    public async Task A_replaced_file_updates_the_changed_lines_and_adds_the_new_ones()
    {
        var path = inbox.Write(inbox.Transcripts, "chats.jsonl", Samples.Chats(0, 3));
        await inbox.IngestAsync(path);
        var before = await inbox.ConversationsAsync();

        ReplaceByRename(path, Samples.Chat("q 0?", "answer 0") + Samples.Chat("changed?") + Samples.Chat("q 2?", "answer 2") + Samples.Chat("new?"));
        var replaced = await inbox.IngestAsync(path);

        Assert.Equal((1, 1, 2), (replaced.NewConversations, replaced.UpdatedConversations, replaced.UnchangedConversations));
        var after = await inbox.ConversationsAsync();
        Assert.Equal(before[("transcript", path + "#L1")], after[("transcript", path + "#L1")]);
        Assert.True(after[("transcript", path + "#L2")].Seq > before.Values.Max(r => r.Seq));
        Assert.Equal(2, after[("transcript", path + "#L2")].Revision);
        await AssertStoreMatchesParsers((path, ConversationCategory.Transcript));
    }

    [Fact]
    public async Task A_file_rewritten_in_place_with_the_same_size_and_head_is_read_again()
    {
        var path = inbox.Write(inbox.Transcripts, "long.jsonl", Samples.Chats(0, 120));
        Assert.True(new FileInfo(path).Length > 2 * 4096);
        await inbox.IngestAsync(path);
        var inode = InodeOf(path);

        var text = File.ReadAllText(path).Replace("q 110?", "Q 110?", StringComparison.Ordinal);
        File.WriteAllText(path, text);
        Assert.Equal(inode, InodeOf(path));
        using var fresh = inbox.NewIngestor();
        var rewritten = await fresh.IngestAsync(
            new IngestTarget(path, ConversationCategory.Transcript, null, "long.jsonl", FileCompleteness.Finished), CancellationToken.None);

        Assert.Equal((0, 1), (rewritten.NewConversations, rewritten.UpdatedConversations));
        await AssertStoreMatchesParsers((path, ConversationCategory.Transcript));
    }

    [Fact]
    public async Task A_file_larger_than_a_batch_is_committed_batch_by_batch_to_the_same_result()
    {
        var path = inbox.Write(inbox.Transcripts, "big.jsonl", Samples.Chats(0, 60));
        using var small = inbox.NewIngestor(batchBytes: 300);

        var outcome = await inbox.IngestAsync(path, FileCompleteness.Finished, small);

        Assert.Equal(60, outcome.NewConversations);
        Assert.True(await inbox.ScalarAsync("SELECT passes FROM source_files WHERE path = $p", ("$p", path)) > 10);
        Assert.Equal(new FileInfo(path).Length, await StoredOffset(path));
        await AssertStoreMatchesParsers((path, ConversationCategory.Transcript));
    }

    [Fact]
    public async Task A_json_document_waits_until_it_is_complete()
    {
        var path = inbox.Write(inbox.Transcripts, "export.json", Samples.ShareGptDocument(3));

        var growing = await inbox.IngestAsync(path, FileCompleteness.Growing);
        Assert.Equal(IngestDisposition.Waiting, growing.Disposition);
        Assert.Empty(await inbox.ConversationsAsync());

        var complete = await inbox.IngestAsync(path, FileCompleteness.Settled);
        Assert.Equal(3, complete.NewConversations);
        await AssertStoreMatchesParsers((path, ConversationCategory.Transcript));
    }

    [Fact]
    public async Task Inputs_are_never_modified()
    {
        var log = inbox.Write(inbox.AgentLogs, "log.jsonl", Samples.Events("s", 0, 3));
        var chats = inbox.Write(inbox.Transcripts, "chats.jsonl", Samples.Chats(0, 3) + "not json\n");
        var before = new[] { log, chats }.Select(p => (File.ReadAllBytes(p), File.GetLastWriteTimeUtc(p), InodeOf(p))).ToList();

        await inbox.IngestAsync(log, FileCompleteness.Growing);
        await inbox.IngestAsync(log, FileCompleteness.Finished);
        await inbox.IngestAsync(chats);
        await inbox.IngestAsync(chats);

        var after = new[] { log, chats }.Select(p => (File.ReadAllBytes(p), File.GetLastWriteTimeUtc(p), InodeOf(p))).ToList();
        for (var i = 0; i < before.Count; i++)
        {
            Assert.Equal(before[i].Item1, after[i].Item1);
            Assert.Equal((before[i].Item2, before[i].Item3), (after[i].Item2, after[i].Item3));
        }
    }

    private static long InodeOf(string path) => InboxFileSystem.Stat(path)!.Value.Inode;

    private static void ReplaceByRename(string path, string text)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }
}
