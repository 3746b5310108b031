using ContinualTrainer.Dataset;
using ContinualTrainer.Dataset.General;
using ContinualTrainer.Dataset.Snapshots;
using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Tests.Support;
using Microsoft.Data.Sqlite;
using static ContinualTrainer.Tests.Dataset.Transcripts;

namespace ContinualTrainer.Tests.Dataset;

public sealed class DatasetBuilderTests
{
    private static readonly Lazy<GeneralCorpus> WikiText = new(() => GeneralCorpus.Load(SharedFixtures.Path("corpora", "wikitext-2"), 0.1));

    private static IEnumerable<long> Ids(DatasetSnapshot snapshot, SnapshotItemKind kind) =>
        snapshot.Items.Where(i => i.Kind == kind).Select(i => i.ExampleId!.Value);

    private static async Task<Dictionary<long, StoredExample>> ExamplesAsync(DatasetWorkspace workspace, DatasetSnapshot snapshot) =>
        (await new ExampleStore(workspace.Database).ReadAsync(snapshot.Items.Where(i => i.ExampleId is not null).Select(i => i.ExampleId!.Value).ToList(), CancellationToken.None))
        .ToDictionary(p => p.Key, p => p.Value);

    [SharedFact]
    public async Task Near_duplicate_decisions_are_dropped_keeping_the_oldest_and_different_ones_are_kept()
    {
        using var workspace = await DatasetWorkspace.CreateAsync(DatasetWorkspace.Plain with { ValidationFraction = 0 });
        var answer = QuestionAndAnswer(1, words: 120)[1].Text;
        var words = answer.Split(' ');
        await workspace.Rows.PutAsync("original", [User("First question?"), Assistant(answer)]);
        await workspace.Rows.PutAsync("one-word-changed", [User("Second question?"), Assistant(string.Join(' ', words.Take(60).Append("zebra").Concat(words.Skip(61))))]);
        await workspace.Rows.PutAsync("exact-text", [User("Third question?"), Assistant(answer)]);
        await workspace.Rows.PutAsync("different-1", QuestionAndAnswer(2, words: 120));
        await workspace.Rows.PutAsync("different-2", QuestionAndAnswer(3, words: 120));

        var snapshot = await workspace.BuildAsync(seed: 5);
        Assert.Equal(5, snapshot.Summary.NewExamples);
        Assert.Equal(2, snapshot.Summary.NearDuplicatesRemoved);
        var examples = await ExamplesAsync(workspace, snapshot);
        var trained = Ids(snapshot, SnapshotItemKind.Train).Select(id => examples[id].DecisionText).ToHashSet();
        Assert.Equal(3, trained.Count);
        Assert.Contains(answer, trained);
        var stats = await DatasetStatistics.ReadAsync(workspace.Database, workspace.Profile, CancellationToken.None);
        Assert.Equal(2, stats.NearDuplicatesRemoved);
    }

    [SharedFact]
    public async Task Caps_limit_what_one_session_and_one_source_file_contribute()
    {
        using var workspace = await DatasetWorkspace.CreateAsync(DatasetWorkspace.Plain with { ValidationFraction = 0, MaxPerSession = 3, MaxPerSourceFile = 4 });
        var session = new List<CanonicalMessage>();
        for (var i = 0; i < 8; i++) session.AddRange(QuestionAndAnswer(100 + i));
        await workspace.Rows.PutAsync("chatty", session, "/inbox/agent-logs/s.jsonl", ConversationCategory.AgentLog, "s1");
        for (var i = 0; i < 7; i++) await workspace.Rows.PutAsync($"big#{i}", QuestionAndAnswer(200 + i), "/inbox/transcripts/big.jsonl");
        for (var i = 0; i < 2; i++) await workspace.Rows.PutAsync($"small#{i}", QuestionAndAnswer(300 + i), "/inbox/transcripts/small.jsonl");

        var snapshot = await workspace.BuildAsync(seed: 9);
        Assert.Equal((5, 3), (snapshot.Summary.CappedBySession, snapshot.Summary.CappedBySourceFile));
        var examples = await ExamplesAsync(workspace, snapshot);
        var bySource = Ids(snapshot, SnapshotItemKind.Train).GroupBy(id => examples[id].SourceFile).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(3, bySource["/inbox/agent-logs/s.jsonl"]);
        Assert.Equal(4, bySource["/inbox/transcripts/big.jsonl"]);
        Assert.Equal(2, bySource["/inbox/transcripts/small.jsonl"]);

        var again = await workspace.BuildAsync(seed: 9);
        Assert.Equal(Ids(snapshot, SnapshotItemKind.Train).Order(), Ids(again, SnapshotItemKind.Train).Order());
    }

    [SharedTheory]
    [InlineData(0.25)]
    [InlineData(0.3)]
    public async Task Replay_windows_make_up_the_configured_fraction_of_trained_tokens(double fraction)
    {
        using var workspace = await DatasetWorkspace.CreateAsync(DatasetWorkspace.Plain with { ReplayFraction = fraction, ValidationFraction = 0.1 });
        for (var i = 0; i < 150; i++) await workspace.Rows.PutAsync($"q{i}", QuestionAndAnswer(i, words: 40));
        var snapshot = await workspace.BuildAsync(seed: 3, WikiText.Value);

        var items = (await SnapshotReader.OpenAsync(workspace.Database, snapshot.Id, workspace.Profile, WikiText.Value, CancellationToken.None)).TrainingItems().ToList();
        double replay = items.Where(i => i.Kind == SnapshotItemKind.Replay).Sum(i => i.LossLength);
        double total = items.Sum(i => i.LossLength);
        Assert.InRange(replay / total, fraction - 0.02, fraction + 0.02);
        Assert.Equal(snapshot.Summary.ReplayTokens, (long)replay);
        Assert.All(items.Where(i => i.Kind == SnapshotItemKind.Replay), i => Assert.Equal((256, 1, 255), (i.Tokens.Length, i.LossStart, i.LossLength)));

        var stream = WikiText.Value.TrainingTokens(workspace.Profile.Tokenizer);
        var window = snapshot.Items.First(i => i.Kind == SnapshotItemKind.Replay);
        var offset = (int)window.WindowOffset!.Value;
        Assert.Equal(stream[offset..(offset + 256)], items[window.Position].Tokens);
        Assert.Equal(0, offset % 256);
    }

    [SharedFact]
    public async Task Rehearsal_draws_only_from_examples_trained_in_accepted_snapshots()
    {
        using var workspace = await DatasetWorkspace.CreateAsync(DatasetWorkspace.Plain with { RehearsalFraction = 0.2, ValidationFraction = 0.2 });
        for (var i = 0; i < 20; i++) await workspace.Rows.PutAsync($"old{i}", QuestionAndAnswer(i));
        var first = await workspace.BuildAsync(seed: 1);
        Assert.Empty(Ids(first, SnapshotItemKind.Rehearsal));

        for (var i = 0; i < 20; i++) await workspace.Rows.PutAsync($"new{i}", QuestionAndAnswer(100 + i));
        var unaccepted = await workspace.BuildAsync(seed: 2);
        Assert.Empty(Ids(unaccepted, SnapshotItemKind.Rehearsal));
        Assert.Subset(Ids(unaccepted, SnapshotItemKind.Train).Concat(Ids(unaccepted, SnapshotItemKind.Validation)).ToHashSet(),
            Ids(first, SnapshotItemKind.Train).ToHashSet());

        Assert.True(await workspace.Snapshots.MarkAcceptedAsync(first.Id, CancellationToken.None));
        var third = await workspace.BuildAsync(seed: 3);
        var rehearsed = Ids(third, SnapshotItemKind.Rehearsal).ToList();
        Assert.NotEmpty(rehearsed);
        Assert.Subset(Ids(first, SnapshotItemKind.Train).ToHashSet(), rehearsed.ToHashSet());
        var firstIds = Ids(first, SnapshotItemKind.Train).Concat(Ids(first, SnapshotItemKind.Validation)).ToHashSet();
        Assert.DoesNotContain(Ids(third, SnapshotItemKind.Train), firstIds.Contains);
        Assert.DoesNotContain(Ids(third, SnapshotItemKind.Validation), firstIds.Contains);
        Assert.InRange(third.Summary.RehearsalFraction, 0.15, 0.25);
    }

    [SharedFact]
    public async Task Validation_holds_out_whole_conversations_and_never_overlaps_training()
    {
        using var workspace = await DatasetWorkspace.CreateAsync(DatasetWorkspace.Plain with { ValidationFraction = 0.3 });
        for (var c = 0; c < 12; c++)
            await workspace.Rows.PutAsync($"c{c}", [.. QuestionAndAnswer(c * 10), .. QuestionAndAnswer(c * 10 + 1), .. QuestionAndAnswer(c * 10 + 2)]);
        var snapshot = await workspace.BuildAsync(seed: 11);
        var examples = await ExamplesAsync(workspace, snapshot);
        var train = Ids(snapshot, SnapshotItemKind.Train).ToHashSet();
        var validation = Ids(snapshot, SnapshotItemKind.Validation).ToHashSet();
        Assert.Empty(train.Intersect(validation));
        Assert.Equal(36, train.Count + validation.Count);
        Assert.InRange(validation.Count, 9, 12);
        Assert.Empty(train.Select(id => examples[id].ConversationId).Intersect(validation.Select(id => examples[id].ConversationId)));
        Assert.True(snapshot.Items.SkipWhile(i => i.Kind != SnapshotItemKind.Validation).All(i => i.Kind == SnapshotItemKind.Validation));

        // Accepted: the validation conversations stay held out when they grow.
        Assert.True(await workspace.Snapshots.MarkAcceptedAsync(snapshot.Id, CancellationToken.None));
        var heldOut = validation.Select(id => examples[id].ConversationId).First();
        var key = $"c{(heldOut - 1)}";
        await workspace.Rows.PutAsync(key, [.. QuestionAndAnswer((int)(heldOut - 1) * 10), .. QuestionAndAnswer((int)(heldOut - 1) * 10 + 1),
            .. QuestionAndAnswer((int)(heldOut - 1) * 10 + 2), .. QuestionAndAnswer(999)]);
        await workspace.Rows.PutAsync("fresh", QuestionAndAnswer(998));
        var next = await workspace.BuildAsync(seed: 12);
        var nextExamples = await ExamplesAsync(workspace, next);
        Assert.Contains(Ids(next, SnapshotItemKind.Validation), id => nextExamples[id].ConversationId == heldOut);
        Assert.DoesNotContain(Ids(next, SnapshotItemKind.Train), id => nextExamples[id].ConversationId == heldOut);
    }

    [SharedFact]
    public async Task The_same_seed_and_data_give_the_same_snapshot_and_another_seed_another_order()
    {
        using var dir = new TempDir();
        var corpusFile = dir.Write("general.txt", string.Join("\n\n", Enumerable.Range(0, 400).Select(i => QuestionAndAnswer(i, words: 50)[1].Text)));
        var corpus = GeneralCorpus.Load(corpusFile, 0.1);
        async Task<DatasetSnapshot> BuildInFreshStateAsync(long seed)
        {
            using var workspace = await DatasetWorkspace.CreateAsync(DatasetWorkspace.Plain with { ReplayFraction = 0.25, MaxPerSourceFile = 20 });
            for (var i = 0; i < 30; i++) await workspace.Rows.PutAsync($"q{i}", QuestionAndAnswer(i, words: 30));
            return await workspace.BuildAsync(seed, corpus);
        }
        var a = await BuildInFreshStateAsync(42);
        var b = await BuildInFreshStateAsync(42);
        var c = await BuildInFreshStateAsync(43);
        Assert.Equal(a.Items, b.Items);
        Assert.Equal(a.Summary with { Notes = [] }, b.Summary with { Notes = [] });
        Assert.NotEqual(a.Items, c.Items);
    }

    [SharedFact]
    public async Task Snapshots_are_immutable_once_written_and_accepted_once()
    {
        using var workspace = await DatasetWorkspace.CreateAsync();
        await workspace.Rows.PutAsync("q", QuestionAndAnswer(1));
        var snapshot = await workspace.BuildAsync(seed: 1);

        await using var connection = await workspace.Database.OpenAsync(CancellationToken.None);
        foreach (var sql in new[]
                 {
                     "UPDATE dataset_snapshots SET seed = 2",
                     "DELETE FROM dataset_snapshots",
                     "UPDATE dataset_snapshot_items SET kind = 'validation'",
                     "DELETE FROM dataset_snapshot_items",
                     "UPDATE dataset_examples SET tokens = x'00000000'",
                 })
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            var error = await Assert.ThrowsAsync<SqliteException>(() => command.ExecuteNonQueryAsync());
            Assert.Contains("immutable", error.Message.Replace("never deleted", "immutable"));
        }
        var unchanged = (await workspace.Snapshots.ReadAsync(snapshot.Id, CancellationToken.None))!;
        Assert.Equal((snapshot.Seed, snapshot.Settings, snapshot.Summary with { Notes = [] }), (unchanged.Seed, unchanged.Settings, unchanged.Summary with { Notes = [] }));
        Assert.Equal(snapshot.Items, unchanged.Items);

        Assert.True(await workspace.Snapshots.MarkAcceptedAsync(snapshot.Id, CancellationToken.None));
        Assert.False(await workspace.Snapshots.MarkAcceptedAsync(snapshot.Id, CancellationToken.None));
        Assert.NotNull((await workspace.Snapshots.ReadAsync(snapshot.Id, CancellationToken.None))!.AcceptedUtc);
        await Assert.ThrowsAsync<DatasetException>(() => workspace.Snapshots.MarkAcceptedAsync(999, CancellationToken.None));
    }

    [SharedFact]
    public async Task Nothing_new_to_train_on_is_refused()
    {
        using var workspace = await DatasetWorkspace.CreateAsync();
        await workspace.Rows.PutAsync("q", QuestionAndAnswer(1));
        var snapshot = await workspace.BuildAsync(seed: 1);
        await workspace.Snapshots.MarkAcceptedAsync(snapshot.Id, CancellationToken.None);
        var error = await Assert.ThrowsAsync<DatasetException>(() => workspace.BuildAsync(seed: 2));
        Assert.StartsWith("nothing new to train on: 0 new example(s)", error.Message);
    }

    [SharedFact]
    public async Task A_reader_refuses_another_tokenizer_and_a_changed_corpus()
    {
        using var workspace = await DatasetWorkspace.CreateAsync(DatasetWorkspace.Plain with { ReplayFraction = 0.25 });
        for (var i = 0; i < 10; i++) await workspace.Rows.PutAsync($"q{i}", QuestionAndAnswer(i, words: 60));
        var snapshot = await workspace.BuildAsync(seed: 1, WikiText.Value);

        var other = TokenizerProfile.Load(workspace.Model, workspace.Options with { MaxContextTokens = 512 });
        var wrongTokenizer = await Assert.ThrowsAsync<DatasetException>(() =>
            SnapshotReader.OpenAsync(workspace.Database, snapshot.Id, other, WikiText.Value, CancellationToken.None));
        Assert.Contains("was built for tokenizer fingerprint", wrongTokenizer.Message);

        var otherSplit = GeneralCorpus.Load(SharedFixtures.Path("corpora", "wikitext-2"), 0.2);
        var changed = await Assert.ThrowsAsync<DatasetException>(() =>
            SnapshotReader.OpenAsync(workspace.Database, snapshot.Id, workspace.Profile, otherSplit, CancellationToken.None));
        Assert.Contains("changed since dataset snapshot", changed.Message);
        await Assert.ThrowsAsync<DatasetException>(() => SnapshotReader.OpenAsync(workspace.Database, snapshot.Id, workspace.Profile, null, CancellationToken.None));

        var reader = await SnapshotReader.OpenAsync(workspace.Database, snapshot.Id, workspace.Profile, WikiText.Value, CancellationToken.None);
        Assert.Equal(WikiText.Value.HeldOutTokens(workspace.Profile.Tokenizer), reader.GeneralHeldOutTokens());
        foreach (var item in reader.TrainingItems().Concat(reader.ValidationItems()).Where(i => i.Kind != SnapshotItemKind.Replay))
        {
            Assert.Equal(item.Tokens.Length, item.LossStart + item.LossLength);
            Assert.Equal(workspace.Profile.Renderer.EndOfTurnId, item.Tokens[^1]);
        }
    }
}
