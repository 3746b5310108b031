using System.Runtime.InteropServices;
using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Store;

namespace ContinualTrainer.Tests.Ingestion.Store;

/// <summary>The same bytes seen again — under the same name, a new name, or moved — add nothing.</summary>
public sealed partial class FileIdentityTests : IDisposable
{
    private readonly Inbox inbox = new();

    public void Dispose() => inbox.Dispose();

    [Fact]
    public async Task The_same_file_ingested_twice_adds_nothing()
    {
        var path = inbox.Write(inbox.Transcripts, "chats.jsonl", Samples.Chats(0, 5));
        var first = await inbox.IngestAsync(path);
        var before = await inbox.ConversationsAsync();

        var second = await inbox.IngestAsync(path);

        Assert.Equal(5, first.NewConversations);
        Assert.Equal(IngestDisposition.Unchanged, second.Disposition);
        Assert.Equal(before, await inbox.ConversationsAsync());
        Assert.Equal(1L, await inbox.ScalarAsync("SELECT passes FROM source_files WHERE path = $p", ("$p", path)));
    }

    [Fact]
    public async Task A_copy_of_an_ingested_file_under_another_name_is_recorded_as_a_duplicate_and_adds_nothing()
    {
        var original = inbox.Write(inbox.Transcripts, "chats.jsonl", Samples.Chats(0, 5));
        await inbox.IngestAsync(original);
        var before = await inbox.ConversationsAsync();
        var copy = Path.Combine(inbox.Transcripts, "again", "chats-copy.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(original, copy);

        var outcome = await inbox.IngestAsync(copy);

        Assert.Equal(IngestDisposition.Duplicate, outcome.Disposition);
        Assert.Equal($"same bytes as {original}", outcome.Reason);
        Assert.Equal(before, await inbox.ConversationsAsync());
        Assert.Equal("duplicate", await inbox.TextAsync("SELECT state FROM source_files WHERE path = $p", ("$p", copy)));
        Assert.Equal(IngestDisposition.Duplicate, (await inbox.IngestAsync(copy)).Disposition);
    }

    [Fact]
    public async Task A_copy_of_a_growing_agent_log_does_not_repeat_its_events()
    {
        var log = inbox.Write(inbox.AgentLogs, "a.jsonl", Samples.Events("s", 0, 4));
        await inbox.IngestAsync(log, FileCompleteness.Growing);
        var before = await inbox.ConversationsAsync();
        var copy = inbox.Write(inbox.AgentLogs, "b.jsonl", Samples.Events("s", 0, 4));

        var outcome = await inbox.IngestAsync(copy, FileCompleteness.Growing);

        Assert.Equal((0, 0), (outcome.NewConversations, outcome.UpdatedConversations));
        Assert.Equal(before, await inbox.ConversationsAsync());

        Inbox.Append(copy, Samples.Event("s", 4));
        await inbox.IngestAsync(copy, FileCompleteness.Growing);
        Assert.Equal(5, (await inbox.ConversationsAsync())[("agent-log", "s")].MessageCount);
    }

    [Fact]
    public async Task Events_without_uuids_read_twice_are_stored_once()
    {
        var text = string.Concat(Enumerable.Range(0, 3).Select(i => Samples.Event("s", i, withUuid: false)));
        var log = inbox.Write(inbox.AgentLogs, "a.jsonl", text);
        await inbox.IngestAsync(log, FileCompleteness.Growing);
        var copy = inbox.Write(inbox.AgentLogs, "b.jsonl", text);

        await inbox.IngestAsync(copy, FileCompleteness.Growing);

        Assert.Equal(3, (await inbox.ConversationsAsync())[("agent-log", "s")].MessageCount);
    }

    [Fact]
    public async Task A_moved_file_keeps_its_record_and_keys_and_is_not_read_again()
    {
        var original = inbox.Write(inbox.Transcripts, "chats.jsonl", Samples.Chats(0, 3));
        await inbox.IngestAsync(original);
        var before = await inbox.ConversationsAsync();
        var moved = Path.Combine(inbox.Transcripts, "sorted", "chats.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(moved)!);
        File.Move(original, moved);

        var outcome = await inbox.IngestAsync(moved);

        Assert.Equal((IngestDisposition.Unchanged, original), (outcome.Disposition, outcome.MovedFrom));
        Assert.Equal(before, await inbox.ConversationsAsync());
        Assert.Equal(1L, await inbox.ScalarAsync("SELECT count(*) FROM source_files"));
        Assert.Equal(original, await inbox.TextAsync("SELECT source_name FROM source_files WHERE path = $p", ("$p", moved)));

        Inbox.Append(moved, Samples.Chat("later?"));
        var grown = await inbox.IngestAsync(moved);
        Assert.Equal(1, grown.NewConversations);
        Assert.Contains(("transcript", original + "#L4"), (await inbox.ConversationsAsync()).Keys);
    }

    [Fact]
    public async Task A_hard_link_at_a_new_path_is_not_taken_for_a_move()
    {
        var original = inbox.Write(inbox.Transcripts, "chats.jsonl", Samples.Chats(0, 2));
        await inbox.IngestAsync(original);
        var link = Path.Combine(inbox.Transcripts, "link.jsonl");
        Assert.Equal(0, Link(original, link));

        var outcome = await inbox.IngestAsync(link);

        Assert.Null(outcome.MovedFrom);
        Assert.Equal(IngestDisposition.Duplicate, outcome.Disposition);
        Assert.Equal(2L, await inbox.ScalarAsync("SELECT count(*) FROM source_files WHERE path IN ($a, $b)", ("$a", original), ("$b", link)));
    }

    [Fact]
    public async Task A_category_comes_from_the_folder_the_file_was_found_in()
    {
        var inTranscripts = inbox.Write(inbox.Transcripts, "log.jsonl", Samples.Events("t", 0, 2));
        var inAgentLogs = inbox.Write(inbox.AgentLogs, "chats.jsonl", Samples.Chats(0, 1));

        await inbox.IngestAsync(inTranscripts);
        await inbox.IngestAsync(inAgentLogs);

        var keys = (await inbox.ConversationsAsync()).Keys.ToHashSet();
        Assert.Contains(("transcript", "t"), keys);
        Assert.Contains(("agent-log", inAgentLogs + "#L1"), keys);
        var stored = await inbox.Store.FindAsync(ConversationCategory.Transcript, "t", CancellationToken.None);
        Assert.Equal((ConversationCategory.Transcript, "t", 2), (stored!.ToCanonical().Category, stored.SessionId, stored.MessageCount));
    }

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string created);
}
