using ContinualTrainer.Hosting;
using ContinualTrainer.Ingestion.Store;
using ContinualTrainer.Ingestion.Watching;
using Microsoft.Extensions.Logging.Abstractions;

namespace ContinualTrainer.Tests.Ingestion.Store;

/// <summary>The watching service in-process, with real folder watchers and real files.</summary>
public sealed class IngestionServiceTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly Inbox inbox = new(("Ingestion:SettleSeconds", "0.5"), ("Ingestion:RescanSeconds", "60"));
    private readonly StatusBoard board = new();
    private IngestionService? service;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (service is not null) await service.StopAsync(CancellationToken.None);
        service?.Dispose();
        inbox.Dispose();
    }

    private async Task StartAsync()
    {
        service = new IngestionService(inbox.Options, inbox.Ingestor, inbox.Store, inbox.IngestionMetrics, board, TimeProvider.System, NullLogger<IngestionService>.Instance);
        await service.StartAsync(CancellationToken.None);
    }

    private async Task<long> WaitForConversations(long count, string? category = null)
    {
        var sql = "SELECT count(*) FROM conversations" + (category is null ? "" : $" WHERE category = '{category}'");
        var deadline = DateTime.UtcNow + Patience;
        long seen;
        while ((seen = await inbox.ScalarAsync(sql)) < count && DateTime.UtcNow < deadline) await Task.Delay(50);
        return seen;
    }

    [Fact]
    public async Task Files_already_in_the_folders_are_taken_by_the_first_scan()
    {
        inbox.Write(inbox.Transcripts, Path.Combine("old", "chats.jsonl"), Samples.Chats(0, 3));
        inbox.Write(inbox.AgentLogs, "log.jsonl", Samples.Events("s", 0, 2));

        await StartAsync();

        Assert.Equal(4, await WaitForConversations(4));
    }

    [Fact]
    public async Task A_file_renamed_into_a_watched_folder_is_taken_and_the_status_line_counts_it()
    {
        await StartAsync();
        var temporary = inbox.Write(inbox.Transcripts, "drop.jsonl.tmp", Samples.Chats(0, 5));
        await Task.Delay(300);
        Assert.Equal(0, await inbox.ScalarAsync("SELECT count(*) FROM conversations"));

        File.Move(temporary, Path.Combine(inbox.Transcripts, "drop.jsonl"));

        Assert.Equal(5, await WaitForConversations(5));
        var deadline = DateTime.UtcNow + Patience;
        while (!board.Line.Contains("5 conversations", StringComparison.Ordinal) && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Contains("5 conversations", board.Line);
    }

    [Fact]
    public async Task A_file_written_in_place_is_taken_once_it_has_settled()
    {
        await StartAsync();
        var path = Path.Combine(inbox.Transcripts, "export.json");

        await using (var writer = new StreamWriter(path))
        {
            var document = Samples.ShareGptDocument(4);
            await writer.WriteAsync(document[..(document.Length / 2)]);
            await writer.FlushAsync();
            await Task.Delay(200);
            await writer.WriteAsync(document[(document.Length / 2)..]);
        }

        Assert.Equal(4, await WaitForConversations(4));
        Assert.Equal("complete", await inbox.TextAsync("SELECT state FROM source_files WHERE path = $p", ("$p", path)));
    }

    [Fact]
    public async Task A_growing_agent_log_is_taken_line_by_line_while_it_grows()
    {
        await StartAsync();
        var path = inbox.Write(inbox.AgentLogs, "live.jsonl", Samples.Events("live", 0, 2));
        Assert.Equal(1, await WaitForConversations(1, "agent-log"));

        for (var i = 2; i < 6; i++)
        {
            Inbox.Append(path, Samples.Event("live", i));
            var deadline = DateTime.UtcNow + Patience;
            while ((await inbox.ConversationsAsync())[("agent-log", "live")].MessageCount < i + 1 && DateTime.UtcNow < deadline) await Task.Delay(20);
        }

        Assert.Equal(6, (await inbox.ConversationsAsync())[("agent-log", "live")].MessageCount);
    }

    [Fact]
    public async Task Ignored_names_are_never_taken()
    {
        await StartAsync();
        inbox.Write(inbox.Transcripts, "a.jsonl.part", Samples.Chats(0, 1));
        inbox.Write(inbox.Transcripts, ".b.jsonl", Samples.Chats(1, 1));
        inbox.Write(inbox.Transcripts, "c.jsonl~", Samples.Chats(2, 1));
        inbox.Write(inbox.Transcripts, Path.Combine(".cache", "d.jsonl"), Samples.Chats(3, 1));
        inbox.Write(inbox.Transcripts, "e.jsonl", Samples.Chats(4, 1));

        Assert.Equal(1, await WaitForConversations(1));
        await Task.Delay(1500);

        Assert.Equal(1, await inbox.ScalarAsync("SELECT count(*) FROM source_files"));
        Assert.Equal(1, await inbox.ScalarAsync("SELECT count(*) FROM conversations"));
    }
}
