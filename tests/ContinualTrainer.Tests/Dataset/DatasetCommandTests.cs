using System.Text.Json;
using ContinualTrainer.Cli;
using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.State;
using ContinualTrainer.Tests.Support;
using static ContinualTrainer.Tests.Dataset.Transcripts;

namespace ContinualTrainer.Tests.Dataset;

public sealed class DatasetCommandTests
{
    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A state folder with two stored conversations (one agent log, one transcript) and a config allowing one-token decisions.</summary>
    private static async Task<(string Config, string State)> PrepareAsync(TempDir dir)
    {
        var config = dir.Write("appsettings.json", """{ "Dataset": { "MinDecisionTokens": 1, "ValidationFraction": 0 } }""");
        var state = dir.File("state");
        Directory.CreateDirectory(state);
        var database = new StateDatabase(Path.Combine(state, "state.db"));
        await database.MigrateAsync(CancellationToken.None);
        var rows = new ConversationRows(database);
        await rows.PutAsync("s1", [User("Colours?"), Assistant("Red green blue.")], "/inbox/agent-logs/s1.jsonl", ConversationCategory.AgentLog, "s1");
        await rows.PutAsync("t#0", [User("More colours?"), Assistant("red green yellow")], "/inbox/transcripts/t.jsonl");
        return (config, state);
    }

    [SharedFact]
    public async Task Stats_json_has_the_counts_the_distinct_bigram_ratio_and_the_category_entropy()
    {
        using var dir = new TempDir();
        var (config, state) = await PrepareAsync(dir);
        var (code, stdout, stderr) = await Run("dataset", "stats", "--config", config, "--state", state, "--model", TestModels.TinyLlama, "--json");
        Assert.Equal((0, ""), (code, stderr));
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal(2, root.GetProperty("examples").GetInt64());
        Assert.Equal(1, root.GetProperty("by_category").GetProperty("agent-log").GetInt64());
        Assert.Equal(1, root.GetProperty("by_category").GetProperty("transcript").GetInt64());
        Assert.Equal(1, root.GetProperty("by_source").GetProperty("/inbox/transcripts/t.jsonl").GetInt64());
        // Bigrams (red green) (green blue) (red green) (green yellow): 3 distinct of 4.
        Assert.Equal(0.75, root.GetProperty("distinct_2").GetDouble());
        Assert.Equal(1.0, root.GetProperty("category_entropy").GetDouble());
        foreach (var field in new[] { "decision_tokens", "context_tokens", "duplicates_removed", "near_duplicates_removed", "too_short", "lines_skipped", "files_quarantined" })
            Assert.True(root.GetProperty(field).GetInt64() >= 0, field);
        Assert.True(root.GetProperty("decision_tokens").GetInt64() > 2);
        Assert.Equal(0, root.GetProperty("duplicates_removed").GetInt64());
        Assert.Equal(2, root.GetProperty("examples_waiting").GetInt64());

        var text = await Run("dataset", "stats", "--config", config, "--state", state, "--model", TestModels.TinyLlama);
        Assert.Equal(0, text.Code);
        Assert.Contains("examples:           2 (agent-log 1, transcript 1)", text.Out);
        Assert.Contains("distinct-2:         0.750", text.Out);
    }

    [SharedFact]
    public async Task Build_then_show_print_the_snapshot_and_unknown_ones_fail()
    {
        using var dir = new TempDir();
        var (config, state) = await PrepareAsync(dir);
        var build = await Run("dataset", "build", "--config", config, "--state", state, "--model", TestModels.TinyLlama, "--seed", "7", "--json");
        Assert.Equal((0, ""), (build.Code, build.Err));
        using (var json = JsonDocument.Parse(build.Out))
        {
            Assert.Equal(1, json.RootElement.GetProperty("snapshot").GetInt64());
            Assert.Equal(7, json.RootElement.GetProperty("seed").GetInt64());
            Assert.Equal(2, json.RootElement.GetProperty("summary").GetProperty("train").GetInt32());
            var notes = json.RootElement.GetProperty("summary").GetProperty("notes").EnumerateArray().Select(n => n.GetString()).ToList();
            Assert.Equal(["rehearsal: none, no example was trained in an accepted snapshot yet", "replay: none, Dataset:GeneralCorpus is not set"], notes);
        }

        var show = await Run("dataset", "show", "1", "--config", config, "--state", state);
        Assert.Equal(0, show.Code);
        Assert.StartsWith("snapshot 1: seed 7, tokenizer ", show.Out);
        Assert.Contains("train:        2 examples", show.Out);
        Assert.Contains("sample:       example ", show.Out);
        Assert.Contains("red green yellow", show.Out.ToLowerInvariant());

        var shown = await Run("dataset", "show", "1", "--config", config, "--state", state, "--json");
        using (var json = JsonDocument.Parse(shown.Out)) Assert.Equal(2, json.RootElement.GetProperty("samples").GetArrayLength());

        var missing = await Run("dataset", "show", "99", "--config", config, "--state", state);
        Assert.Equal((ExitCodes.Failure, "", "error: there is no dataset snapshot 99"), (missing.Code, missing.Out, missing.Err.Trim()));
        Assert.Equal(ExitCodes.Usage, (await Run("dataset", "show", "one", "--state", state)).Code);
    }

    [SharedFact]
    public async Task Build_without_anything_new_fails_with_the_reason()
    {
        using var dir = new TempDir();
        var (config, state) = await PrepareAsync(dir);
        Assert.Equal(0, (await Run("dataset", "build", "--config", config, "--state", state, "--model", TestModels.TinyLlama, "--seed", "1")).Code);
        var database = new StateDatabase(Path.Combine(state, "state.db"));
        await new ContinualTrainer.Dataset.Snapshots.SnapshotStore(database).MarkAcceptedAsync(1, CancellationToken.None);

        var again = await Run("dataset", "build", "--config", config, "--state", state, "--model", TestModels.TinyLlama);
        Assert.Equal(ExitCodes.Failure, again.Code);
        Assert.StartsWith("error: nothing new to train on", again.Err);
    }

    [Fact]
    public async Task Stats_and_build_need_a_model()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = await Run("dataset", "stats", "--state", dir.Path);
        Assert.Equal((ExitCodes.Failure, ""), (code, stdout));
        Assert.Equal("error: no model: examples are made for a model's tokenizer; give --model DIR or set Model:Base", stderr.Trim());
        Assert.Equal(ExitCodes.Failure, (await Run("dataset", "build", "--state", dir.Path, "--model", dir.File("nope"))).Code);
    }

    [Theory]
    [InlineData("stats", "--json")]
    [InlineData("build", "--seed")]
    [InlineData("show", "ID")]
    public async Task Every_dataset_verb_has_help(string verb, string mentions)
    {
        var (code, stdout, _) = await Run("dataset", verb, "--help");
        Assert.Equal(0, code);
        Assert.Contains("Usage:", stdout);
        Assert.Contains(mentions, stdout);
        Assert.Contains("--state", stdout);
    }
}
