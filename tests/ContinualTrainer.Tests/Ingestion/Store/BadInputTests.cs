using System.Diagnostics;
using ContinualTrainer.Ingestion.Store;

namespace ContinualTrainer.Tests.Ingestion.Store;

/// <summary>Garbage, bad lines and oversized input: set aside or skipped with a reason, the rest kept.</summary>
public sealed class BadInputTests
{
    private static readonly byte[] Garbage = [0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x10, (byte)'\n', 0x00, 0x01];

    [Fact]
    public async Task A_file_that_cannot_be_parsed_is_quarantined_with_its_reason_and_left_untouched()
    {
        using var inbox = new Inbox();
        var path = Path.Combine(inbox.Transcripts, "binary.dat");
        File.WriteAllBytes(path, Garbage);

        var outcome = await inbox.IngestAsync(path);

        Assert.Equal(IngestDisposition.Quarantined, outcome.Disposition);
        Assert.False(string.IsNullOrWhiteSpace(outcome.Reason));
        Assert.Equal(Garbage, File.ReadAllBytes(path));
        Assert.Equal("quarantined", await inbox.TextAsync("SELECT state FROM source_files WHERE path = $p", ("$p", path)));
        Assert.Equal(outcome.Reason, await inbox.TextAsync("SELECT reason FROM source_files WHERE path = $p", ("$p", path)));
        var status = await inbox.Store.ReadStatusAsync(CancellationToken.None);
        Assert.Equal((path, outcome.Reason), (status!.Quarantined.Single().Path, status.Quarantined.Single().Reason));

        Assert.Equal(IngestDisposition.Quarantined, (await inbox.IngestAsync(path)).Disposition);
        Assert.Contains("continual_trainer_files_quarantined_total 1\n", inbox.Metrics.Render());
    }

    [Fact]
    public async Task A_quarantined_file_is_moved_to_the_quarantine_folder_when_one_is_configured()
    {
        using var inbox = new Inbox(("Ingestion:QuarantineDir", "{dir}/quarantine"));
        var path = Path.Combine(inbox.Transcripts, "team", "binary.dat");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, Garbage);

        var outcome = await inbox.IngestAsync(path);

        var destination = Path.Combine(inbox.Root, "quarantine", "team", "binary.dat");
        Assert.Equal(destination, outcome.MovedTo);
        Assert.False(File.Exists(path));
        Assert.Equal(Garbage, File.ReadAllBytes(destination));
        Assert.Equal("quarantined", await inbox.TextAsync("SELECT state FROM source_files WHERE path = $p", ("$p", destination)));
    }

    [Fact]
    public async Task A_file_replaced_after_quarantine_is_tried_again()
    {
        using var inbox = new Inbox();
        var path = Path.Combine(inbox.Transcripts, "fixed.jsonl");
        File.WriteAllText(path, "not json at all\n");
        Assert.Equal(IngestDisposition.Quarantined, (await inbox.IngestAsync(path)).Disposition);

        File.WriteAllText(path, Samples.Chats(0, 2));
        var again = await inbox.IngestAsync(path);

        Assert.Equal((IngestDisposition.Taken, 2), (again.Disposition, again.NewConversations));
        Assert.Equal("complete", await inbox.TextAsync("SELECT state FROM source_files WHERE path = $p", ("$p", path)));
    }

    [Fact]
    public async Task Bad_lines_are_skipped_and_counted_with_their_line_numbers_and_the_rest_is_kept()
    {
        using var inbox = new Inbox();
        var path = inbox.Write(inbox.Transcripts, "mixed.jsonl",
            Samples.Chat("one?") + "{\"messages\": [\n" + Samples.Chat("three?") + "{\"messages\": []}\n" + Samples.Chat("five?"));

        var outcome = await inbox.IngestAsync(path);

        Assert.Equal((3, 2), (outcome.NewConversations, outcome.LinesSkipped));
        Assert.Equal([2L, 4L], outcome.FirstSkippedLines.Select(s => s.LineNumber));
        var fileId = await inbox.ScalarAsync("SELECT id FROM source_files WHERE path = $p", ("$p", path));
        var recorded = await inbox.Store.ReadSkippedLinesAsync(fileId, CancellationToken.None);
        Assert.Equal([2L, 4L], recorded.Select(s => s.LineNumber));
        Assert.Contains("'messages' is empty", recorded[1].Reason);
        Assert.Equal(2L, await inbox.ScalarAsync("SELECT lines_skipped FROM source_files WHERE id = $id", ("$id", fileId)));
        Assert.Contains("continual_trainer_lines_skipped_total 2\n", inbox.Metrics.Render());
        Assert.Equal(
            [path + "#L1", path + "#L3", path + "#L5"],
            (await inbox.ConversationsAsync()).Keys.Select(k => k.Key).Order());
    }

    [Fact]
    public async Task A_file_over_the_size_limit_is_quarantined_with_the_limit_named()
    {
        using var inbox = new Inbox(("Ingestion:MaxFileBytes", "200"));
        var path = inbox.Write(inbox.Transcripts, "big.jsonl", Samples.Chats(0, 10));

        var outcome = await inbox.IngestAsync(path);

        Assert.Equal(IngestDisposition.Quarantined, outcome.Disposition);
        Assert.Equal($"file is {new FileInfo(path).Length} bytes, more than the limit of 200 (Ingestion:MaxFileBytes)", outcome.Reason);
        Assert.Empty(await inbox.ConversationsAsync());
    }

    [Fact]
    public async Task A_line_over_the_line_limit_is_skipped_and_the_others_kept()
    {
        using var inbox = new Inbox(("Ingestion:MaxLineBytes", "200"));
        var path = inbox.Write(inbox.Transcripts, "long.jsonl", Samples.Chat("short?") + Samples.Chat(new string('x', 500)) + Samples.Chat("short too?"));

        var outcome = await inbox.IngestAsync(path);

        Assert.Equal((2, 1), (outcome.NewConversations, outcome.LinesSkipped));
        Assert.Equal(2, outcome.FirstSkippedLines.Single().LineNumber);
        Assert.Contains("longer than 200 bytes", outcome.FirstSkippedLines.Single().Reason);
    }

    [Fact]
    public async Task A_conversation_over_the_message_limit_is_skipped_and_a_session_stops_growing_at_it()
    {
        using var inbox = new Inbox(("Ingestion:MaxMessagesPerConversation", "3"));
        var chats = inbox.Write(inbox.Transcripts, "chats.jsonl", Samples.Chat("fine?") +
            """{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"},{"role":"assistant","content":"d"}]}""" + "\n");
        var log = inbox.Write(inbox.AgentLogs, "log.jsonl", Samples.Events("s", 0, 5));

        var chatOutcome = await inbox.IngestAsync(chats);
        var logOutcome = await inbox.IngestAsync(log, FileCompleteness.Growing);

        Assert.Equal((1, 1), (chatOutcome.NewConversations, chatOutcome.LinesSkipped));
        Assert.Contains("more than the limit of 3", chatOutcome.FirstSkippedLines.Single().Reason);
        Assert.Equal(3, (await inbox.ConversationsAsync())[("agent-log", "s")].MessageCount);
        Assert.Equal([4L, 5L], logOutcome.FirstSkippedLines.Select(s => s.LineNumber));
    }

    [Fact]
    public async Task An_empty_file_or_a_half_written_first_event_waits_instead_of_being_quarantined()
    {
        using var inbox = new Inbox(("Ingestion:QuarantineDir", "{dir}/quarantine"));
        var empty = inbox.Write(inbox.AgentLogs, "new.jsonl", "");
        var started = inbox.Write(inbox.AgentLogs, "started.jsonl", Samples.Event("s", 0)[..30]);

        var emptyOutcome = await inbox.IngestAsync(empty, FileCompleteness.Settled);
        var startedOutcome = await inbox.IngestAsync(started, FileCompleteness.Settled);

        Assert.Equal((IngestDisposition.Waiting, IngestDisposition.Waiting), (emptyOutcome.Disposition, startedOutcome.Disposition));
        Assert.True(File.Exists(empty) && File.Exists(started));
        Assert.Equal(0L, await inbox.ScalarAsync("SELECT count(*) FROM source_files WHERE state = 'quarantined'"));

        Inbox.Append(started, Samples.Event("s", 0)[30..]);
        Assert.Equal(1, (await inbox.IngestAsync(started, FileCompleteness.Settled)).NewConversations);
    }

    [Fact]
    public async Task A_fifo_in_a_watched_folder_is_passed_over_without_blocking()
    {
        using var inbox = new Inbox();
        var fifo = Path.Combine(inbox.Transcripts, "pipe.jsonl");
        using (var mkfifo = Process.Start("mkfifo", [fifo])!) await mkfifo.WaitForExitAsync();

        var outcome = await inbox.IngestAsync(fifo).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(IngestDisposition.Gone, outcome.Disposition);
        Assert.Equal(0L, await inbox.ScalarAsync("SELECT count(*) FROM source_files"));
    }
}
