using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Store;

namespace ContinualTrainer.Tests.Ingestion.Store;

/// <summary>Two ingesters (own connections, own caches, as two processes) on the same files at once.</summary>
public sealed class ConcurrentIngestionTests
{
    [Fact]
    public async Task Two_ingesters_on_the_same_folder_store_every_conversation_exactly_once()
    {
        using var inbox = new Inbox();
        var files = new List<(string Path, ConversationCategory Category)>();
        for (var i = 0; i < 12; i++) files.Add((inbox.Write(inbox.Transcripts, $"chats-{i:00}.jsonl", Samples.Chats(i * 100, 20, $"file {i}")), ConversationCategory.Transcript));
        for (var i = 0; i < 4; i++) files.Add((inbox.Write(inbox.AgentLogs, $"log-{i}.jsonl", Samples.Events($"s{i}", 0, 30)), ConversationCategory.AgentLog));
        using var first = inbox.NewIngestor(batchBytes: 512);
        using var second = inbox.NewIngestor(batchBytes: 700);

        async Task Run(FileIngestor ingestor, IEnumerable<string> order)
        {
            foreach (var path in order) await inbox.IngestAsync(path, FileCompleteness.Finished, ingestor);
        }
        await Task.WhenAll(
            Task.Run(() => Run(first, files.Select(f => f.Path))),
            Task.Run(() => Run(second, files.Select(f => f.Path).Reverse())));

        var expected = ParserOracle.Expected(files);
        var stored = await inbox.ConversationsAsync();
        Assert.Equal(expected.Keys.Order(), stored.Keys.Order());
        foreach (var (key, hash) in expected) Assert.Equal(hash, stored[key].ContentSha256);
        Assert.Equal(files.Count, await inbox.ScalarAsync("SELECT count(*) FROM source_files WHERE state = 'complete'"));
        Assert.Equal(expected.Count, await inbox.ScalarAsync("SELECT count(DISTINCT seq) FROM conversations"));
    }
}
