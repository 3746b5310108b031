using ContinualTrainer.Dataset;
using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Tests.Support;
using static ContinualTrainer.Tests.Dataset.Transcripts;

namespace ContinualTrainer.Tests.Dataset;

public sealed class ExampleDeriverTests
{
    private static async Task<List<(long Id, int Turn, bool Retired)>> ExamplesOfAsync(DatasetWorkspace workspace, long conversationId)
    {
        await using var connection = await workspace.Database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, turn_index, retired_seq IS NOT NULL FROM dataset_examples WHERE conversation_id = $c ORDER BY id";
        command.Parameters.AddWithValue("$c", conversationId);
        var rows = new List<(long, int, bool)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add((reader.GetInt64(0), reader.GetInt32(1), reader.GetBoolean(2)));
        return rows;
    }

    [SharedFact]
    public async Task The_same_conversation_stored_twice_adds_nothing_and_is_counted()
    {
        using var workspace = await DatasetWorkspace.CreateAsync();
        await workspace.Rows.PutAsync("a#0", AgentTurns(), "/inbox/transcripts/a.jsonl");
        await workspace.Rows.PutAsync("copy-of-a#0", AgentTurns(), "/inbox/transcripts/copy-of-a.jsonl");

        var report = await workspace.DeriveAsync();
        Assert.Equal(2, report.Conversations);
        Assert.Equal(2, report.ExamplesAdded);
        Assert.Equal(2, report.Duplicates);
        var stats = await DatasetStatistics.ReadAsync(workspace.Database, workspace.Profile, CancellationToken.None);
        Assert.Equal(2, stats.Examples);
        Assert.Equal(2, stats.DuplicatesRemoved);
        Assert.Equal(new Dictionary<string, long> { ["/inbox/transcripts/a.jsonl"] = 2 }, stats.BySource);
    }

    [SharedFact]
    public async Task Derivation_is_incremental_and_derives_each_change_once()
    {
        using var workspace = await DatasetWorkspace.CreateAsync();
        await workspace.Rows.PutAsync("q1", QuestionAndAnswer(1));
        await workspace.Rows.PutAsync("q2", QuestionAndAnswer(2));
        Assert.Equal(2, (await workspace.DeriveAsync()).Conversations);

        var idle = await workspace.DeriveAsync();
        Assert.Equal((0, 0), (idle.Conversations, idle.ExamplesAdded));
        Assert.Equal(2, idle.Watermark);

        await workspace.Rows.PutAsync("q3", QuestionAndAnswer(3));
        var next = await workspace.DeriveAsync();
        Assert.Equal((1, 1, 3L), (next.Conversations, next.ExamplesAdded, next.Watermark));
        Assert.Equal(3, (await DatasetStatistics.ReadAsync(workspace.Database, workspace.Profile, CancellationToken.None)).Examples);
    }

    [SharedFact]
    public async Task A_grown_conversation_keeps_its_earlier_examples_and_a_changed_one_replaces_them()
    {
        using var workspace = await DatasetWorkspace.CreateAsync();
        var first = QuestionAndAnswer(1);
        var id = await workspace.Rows.PutAsync("session", first, category: ConversationCategory.AgentLog, session: "s1");
        await workspace.DeriveAsync();
        var before = Assert.Single(await ExamplesOfAsync(workspace, id));

        await workspace.Rows.PutAsync("session", [.. first, .. QuestionAndAnswer(2)], category: ConversationCategory.AgentLog, session: "s1");
        var grown = await workspace.DeriveAsync();
        Assert.Equal((1, 0), (grown.ExamplesAdded, grown.ExamplesRemoved));
        var after = await ExamplesOfAsync(workspace, id);
        Assert.Equal([before, (after[1].Id, 3, false)], after);

        await workspace.Rows.PutAsync("session", [User("Something else entirely?"), Assistant("A different answer.")], category: ConversationCategory.AgentLog, session: "s1");
        var changed = await workspace.DeriveAsync();
        Assert.Equal((1, 2), (changed.ExamplesAdded, changed.ExamplesRemoved));
        var replaced = Assert.Single(await ExamplesOfAsync(workspace, id));
        Assert.DoesNotContain(replaced.Id, after.Select(a => a.Id));
    }

    [SharedFact]
    public async Task Examples_a_snapshot_refers_to_are_retired_not_deleted()
    {
        using var workspace = await DatasetWorkspace.CreateAsync(DatasetWorkspace.Plain with { ValidationFraction = 0 });
        var id = await workspace.Rows.PutAsync("c", QuestionAndAnswer(1));
        var snapshot = await workspace.BuildAsync(seed: 1);
        await workspace.Rows.PutAsync("c", QuestionAndAnswer(2));
        await workspace.DeriveAsync();

        var rows = await ExamplesOfAsync(workspace, id);
        Assert.Equal([true, false], rows.Select(r => r.Retired));
        var kept = await new ExampleStore(workspace.Database).ReadAsync([snapshot.Items[0].ExampleId!.Value], CancellationToken.None);
        Assert.True(kept.Single().Value.Retired);
    }

    [SharedFact]
    public async Task A_tokenizer_change_derives_the_examples_again_without_touching_the_conversations()
    {
        using var dir = new TempDir();
        var model = TestModels.CopyTiny(dir.File("model"));
        using var workspace = await DatasetWorkspace.CreateAsync(model: model);
        await workspace.Rows.PutAsync("a", AgentTurns());
        await workspace.Rows.PutAsync("b", QuestionAndAnswer(5));
        var old = workspace.Profile;
        Assert.Equal(3, (await workspace.DeriveAsync()).ExamplesAdded);
        var conversationsBefore = await DumpConversationsAsync(workspace);

        File.AppendAllText(Path.Combine(model, "tokenizer_config.json"), "\n");
        var changed = workspace.Profile;
        Assert.NotSame(old, changed);
        Assert.NotEqual(old.Fingerprint, changed.Fingerprint);
        var again = await workspace.DeriveAsync();
        Assert.Equal((2, 3), (again.Conversations, again.ExamplesAdded));
        Assert.Equal(conversationsBefore, await DumpConversationsAsync(workspace));

        var oldStats = await DatasetStatistics.ReadAsync(workspace.Database, old, CancellationToken.None);
        Assert.Equal(3, oldStats.Examples);
        Assert.Same(changed, workspace.Profile);
    }

    [SharedFact]
    public void Limits_and_the_chat_format_are_part_of_the_fingerprint()
    {
        var baseline = TokenizerProfile.Load(TestModels.TinyLlama, DatasetWorkspace.Plain).Fingerprint;
        Assert.Equal(baseline, TokenizerProfile.Load(SharedFixtures.Path("fixtures", "models", "tiny-qwen2"), DatasetWorkspace.Plain).Fingerprint);
        Assert.NotEqual(baseline, TokenizerProfile.Load(TestModels.TinyLlama, DatasetWorkspace.Plain with { MaxContextTokens = 1024 }).Fingerprint);
        Assert.NotEqual(baseline, TokenizerProfile.Load(TestModels.TinyLlama, DatasetWorkspace.Plain with { MaxDecisionTokens = 128 }).Fingerprint);
        Assert.NotEqual(baseline, TokenizerProfile.Load(TestModels.TinyLlama, DatasetWorkspace.Plain with { ChatFormat = ContinualTrainer.Dataset.Rendering.ChatFormat.Plain }).Fingerprint);
        Assert.NotEqual(baseline, TokenizerProfile.Load(TestModels.TinyLlama, DatasetWorkspace.Plain with { IncludeThinking = true }).Fingerprint);
    }

    private static async Task<string> DumpConversationsAsync(DatasetWorkspace workspace)
    {
        await using var connection = await workspace.Database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT group_concat(id || ':' || seq || ':' || revision || ':' || content_sha256 || ':' || updated_utc, ';') FROM conversations";
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
