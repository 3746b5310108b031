using System.CommandLine;
using System.Text.Json;
using ContinualTrainer.Cli;
using ContinualTrainer.Dataset;
using ContinualTrainer.Ingestion;
using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.State;
using ContinualTrainer.Tests.Support;
using Microsoft.Data.Sqlite;

namespace ContinualTrainer.Tests.Ingestion.Store;

/// <summary><c>continual-trainer ingest</c>: its summary, its exit codes, and its use next to another ingester.</summary>
public sealed class IngestCommandTests : IDisposable
{
    private readonly TempDir dir = new();

    public IngestCommandTests()
    {
        State = dir.File("state");
        Drop = dir.File("drop");
        Directory.CreateDirectory(Drop);
    }

    private string State { get; }

    private string Drop { get; }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        dir.Dispose();
    }

    /// <summary>Writes a file in the drop folder, finished a while ago (so it is not taken for one still being written).</summary>
    private string Old(string name, string text)
    {
        var path = dir.Write(Path.Combine("drop", name), text);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-10));
        return path;
    }

    private async Task<(int ExitCode, string Output, string Error)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await CliApp.RunAsync(args, output, error, CancellationToken.None);
        return (exitCode, output.ToString(), error.ToString());
    }

    private async Task<long> Scalar(string sql)
    {
        await using var connection = await new StateDatabase(Path.Combine(State, "state.db")).OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Ingest_prints_what_it_did_reports_quarantined_files_and_exits_0()
    {
        var chats = Old("chats.jsonl", Samples.Chats(0, 3) + "oops\n");
        var garbage = dir.File("drop/blob.bin");
        File.WriteAllBytes(garbage, [0xff, 0xfe, 0x00, 0x41, 0x00, (byte)'\n']);
        File.SetLastWriteTimeUtc(garbage, DateTime.UtcNow.AddMinutes(-10));
        Old(".hidden.jsonl", Samples.Chats(10, 1));

        var (exitCode, output, error) = await Run("ingest", "--state", State, Drop);

        Assert.Equal(0, exitCode);
        Assert.Equal("", error);
        Assert.Contains("files:         2 (1 taken, 0 unchanged, 0 waiting, 1 quarantined, 0 duplicates, 0 failed)", output);
        Assert.Contains("conversations: 3 new, 0 changed, 0 unchanged", output);
        Assert.Contains("lines skipped: 1", output);
        Assert.Contains($"  {chats} line 4: ", output);
        Assert.Contains($"quarantined:   {garbage}: file is UTF-16", output);
        Assert.Contains("examples:      waiting — no model (give --model DIR or set Model:Base); the conversations are stored", output);
        Assert.True(File.Exists(garbage));

        var again = await Run("ingest", "--state", State, chats);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("files:         1 (0 taken, 1 unchanged,", again.Output);
        Assert.Equal(3L, await Scalar("SELECT count(*) FROM conversations"));
    }

    [Fact]
    public async Task Status_json_lists_quarantined_files_with_their_reasons_and_the_counts()
    {
        Old("chats.jsonl", Samples.Chats(0, 2));
        var garbage = Old("notes.txt", "no speaker prefix anywhere\n");
        await Run("ingest", "--state", State, Drop);

        var (exitCode, output, _) = await Run("status", "--state", State, "--json");

        Assert.Equal(0, exitCode);
        using var json = JsonDocument.Parse(output);
        var ingestion = json.RootElement.GetProperty("ingestion");
        Assert.Equal(2, ingestion.GetProperty("conversations").GetProperty("transcript").GetInt64());
        Assert.Equal(1, ingestion.GetProperty("files").GetProperty("quarantined").GetInt64());
        var quarantined = ingestion.GetProperty("quarantined")[0];
        Assert.Equal(garbage, quarantined.GetProperty("path").GetString());
        Assert.Contains("no line", quarantined.GetProperty("reason").GetString());
        var text = await Run("status", "--state", State);
        Assert.Contains($"quarantined:   {garbage}: ", text.Output);
    }

    [Fact]
    public async Task A_missing_path_fails_with_exit_code_1_before_anything_is_ingested()
    {
        Old("chats.jsonl", Samples.Chats(0, 2));

        var (exitCode, _, error) = await Run("ingest", "--state", State, Drop, dir.File("nope.jsonl"));

        Assert.Equal(1, exitCode);
        Assert.Equal($"error: {dir.File("nope.jsonl")}: no such file or folder", error.Trim());
        Assert.False(File.Exists(Path.Combine(State, "state.db")));
    }

    [Theory]
    [InlineData("--category", "chats")]
    [InlineData("--format", "yaml")]
    public async Task An_unknown_category_or_format_is_a_usage_error(string option, string value)
    {
        var (exitCode, _, error) = await Run("ingest", "--state", State, option, value, Drop);

        Assert.Equal(2, exitCode);
        Assert.Contains(value, error);
    }

    [Fact]
    public async Task A_model_option_that_is_not_a_model_folder_fails_with_exit_code_1()
    {
        var notAModel = Directory.CreateDirectory(dir.File("model")).FullName;

        var (exitCode, _, error) = await Run("ingest", "--state", State, "--model", notAModel, Drop);

        Assert.Equal(1, exitCode);
        Assert.Equal($"error: --model {notAModel}: not a Hugging Face model folder (no config.json)", error.Trim());
    }

    [Fact]
    public async Task With_a_model_and_a_deriver_the_examples_are_derived_after_the_conversations_are_stored()
    {
        Old("chats.jsonl", Samples.Chats(0, 2));
        var model = Directory.CreateDirectory(dir.File("model")).FullName;
        File.WriteAllText(Path.Combine(model, "config.json"), "{}");
        File.WriteAllText(Path.Combine(model, "tokenizer.json"), "{}");
        var deriver = new RecordingDeriver(() => Scalar("SELECT count(*) FROM conversations"));
        var root = new RootCommand { GlobalOptions.State, GlobalOptions.Config, IngestCommand.Create((_, _) => deriver) };
        var output = new StringWriter();

        var exitCode = await root.Parse(["ingest", "--state", State, "--model", model, Drop]).InvokeAsync(new InvocationConfiguration { Output = output });

        Assert.Equal(0, exitCode);
        Assert.Equal((model, 2L), (deriver.Model, deriver.ConversationsSeen));
        Assert.Contains($"examples:      7 derived for {model}", output.ToString());
    }

    [Fact]
    public async Task A_deriver_that_cannot_use_the_model_fails_with_one_line_and_the_conversations_stay_stored()
    {
        Old("chats.jsonl", Samples.Chats(0, 2));
        var model = Directory.CreateDirectory(dir.File("model")).FullName;
        File.WriteAllText(Path.Combine(model, "config.json"), "{}");
        File.WriteAllText(Path.Combine(model, "tokenizer.json"), "{}");
        var root = new RootCommand { GlobalOptions.State, GlobalOptions.Config, IngestCommand.Create((_, _) => new FailingDeriver()) };
        var output = new StringWriter();

        var error = await Assert.ThrowsAsync<CliException>(() =>
            root.Parse(["ingest", "--state", State, "--model", model, Drop]).InvokeAsync(new InvocationConfiguration { Output = output, EnableDefaultExceptionHandler = false }));

        Assert.Equal($"examples not derived for {model}: no chat template (the conversations are stored)", error.Message);
        Assert.Contains("conversations: 2 new", output.ToString());
        Assert.Equal(2L, await Scalar("SELECT count(*) FROM conversations"));
    }

    [SharedFact]
    public async Task The_ingest_verb_derives_examples_with_the_model_it_is_given()
    {
        Old("chats.jsonl", Samples.Chats(0, 3));
        var model = SharedFixtures.Path("fixtures", "models", "tiny-llama");

        var (exitCode, output, error) = await Run("ingest", "--state", State, "--model", model, Drop);

        Assert.True(exitCode == 0, error);
        Assert.Matches($"examples:      [0-9]+ derived for {System.Text.RegularExpressions.Regex.Escape(model)}", output);
    }

    [Fact]
    public async Task Files_outside_the_watched_folders_take_their_category_from_the_format_unless_one_is_given()
    {
        Old("session.jsonl", Samples.Events("s1", 0, 2));
        var other = dir.Write("other/session.jsonl", Samples.Events("s2", 0, 2));
        File.SetLastWriteTimeUtc(other, DateTime.UtcNow.AddMinutes(-10));

        await Run("ingest", "--state", State, Drop);
        await Run("ingest", "--state", State, "--category", "transcript", other);

        Assert.Equal(1L, await Scalar("SELECT count(*) FROM conversations WHERE category = 'agent-log' AND conversation_key = 's1'"));
        Assert.Equal(1L, await Scalar("SELECT count(*) FROM conversations WHERE category = 'transcript' AND conversation_key = 's2'"));
    }

    [Fact]
    public async Task A_file_still_being_written_is_reported_as_waiting()
    {
        var document = dir.Write("drop/export.json", Samples.ShareGptDocument(2));

        var (exitCode, output, _) = await Run("ingest", "--state", State, document);

        Assert.Equal(0, exitCode);
        Assert.Contains($"waiting:       {document}: still being written", output);
        Assert.Equal(0L, await Scalar("SELECT count(*) FROM conversations"));
    }

    [Fact]
    public async Task Two_ingest_processes_on_the_same_folder_store_every_conversation_once()
    {
        var files = new List<(string, ConversationCategory)>();
        for (var i = 0; i < 20; i++) files.Add((Old($"chats-{i:00}.jsonl", Samples.Chats(0, 25, $"file {i}")), ConversationCategory.Transcript));
        for (var i = 0; i < 5; i++) files.Add((Old($"log-{i}.jsonl", Samples.Events($"s{i}", 0, 40)), ConversationCategory.AgentLog));
        var environment = new Dictionary<string, string?>();

        var runs = await Task.WhenAll(
            DaemonProcess.RunToEndAsync(dir.Path, environment, TimeSpan.FromSeconds(60), "ingest", "--state", State, Drop),
            DaemonProcess.RunToEndAsync(dir.Path, environment, TimeSpan.FromSeconds(60), "ingest", "--state", State, Drop));

        Assert.All(runs, run => Assert.True(run.ExitCode == 0, run.Output));
        var expected = ParserOracle.Expected(files);
        Assert.Equal(expected.Count, await Scalar("SELECT count(*) FROM conversations"));
        await using var connection = await new StateDatabase(Path.Combine(State, "state.db")).OpenAsync(CancellationToken.None);
        foreach (var ((category, key), hash) in expected)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT content_sha256 FROM conversations WHERE category = $c AND conversation_key = $k";
            command.Parameters.AddWithValue("$c", category);
            command.Parameters.AddWithValue("$k", key);
            Assert.Equal(hash, await command.ExecuteScalarAsync() as string);
        }
    }

    private sealed class FailingDeriver : IExampleDeriver
    {
        public Task<int> DeriveAsync(string modelDirectory, CancellationToken cancellationToken) => throw new DatasetException("no chat template");
    }

    private sealed class RecordingDeriver(Func<Task<long>> countConversations) : IExampleDeriver
    {
        public string? Model { get; private set; }

        public long ConversationsSeen { get; private set; }

        public async Task<int> DeriveAsync(string modelDirectory, CancellationToken cancellationToken)
        {
            Model = modelDirectory;
            ConversationsSeen = await countConversations();
            return 7;
        }
    }
}
