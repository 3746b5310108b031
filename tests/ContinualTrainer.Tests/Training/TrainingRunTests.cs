using System.Security.Cryptography;
using System.Text.Json;
using ContinualTrainer.Cli;
using ContinualTrainer.State;
using ContinualTrainer.Tests.Support;
using ContinualTrainer.Training;

namespace ContinualTrainer.Tests.Training;

/// <summary>Whole runs on the tiny-llama fixture: ingest transcripts, train --now, and what the guard decided.</summary>
public sealed class TrainingRunTests
{
    private sealed class Workspace : IDisposable
    {
        private readonly TempDir dir = new();

        public Workspace(string extraSettings = "")
        {
            State = dir.File("var");
            Config = dir.Write("appsettings.json", $$"""
                {
                  "Model": { "Base": "{{SharedFixtures.Path("fixtures", "models", "tiny-llama")}}" },
                  "Paths": { "State": "{{State}}" },
                  "Metrics": { "Listen": "127.0.0.1:0" },
                  "Dataset": { "GeneralCorpus": "{{SharedFixtures.Path("corpora", "wikitext-2", "valid.txt")}}" },
                  "Guard": { "MaxHoldoutTokens": 4096, "ProbesPerCategory": 10 },
                  "Training": { "Seed": 7 {{extraSettings}} }
                }
                """);
        }

        public string State { get; }
        public string Config { get; }
        public string Path(string name) => dir.File(name);

        public async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var code = await CliApp.RunAsync([.. args, "--config", Config], stdout, stderr, CancellationToken.None);
            return (code, stdout.ToString(), stderr.ToString());
        }

        public async Task IngestAsync(string topic, int count)
        {
            var file = dir.Write($"in/{topic}.jsonl", string.Join("\n", Enumerable.Range(0, count).Select(i => JsonSerializer.Serialize(new
            {
                messages = new object[]
                {
                    new { role = "user", content = $"Tell me about {topic} number {i}." },
                    new { role = "assistant", content = $"The story of the {topic} is long . In the year {1800 + i} the people of the {topic} built a new wall and lived there in peace ." },
                },
            }))) + "\n");
            var (code, _, err) = await RunAsync("ingest", file);
            Assert.True(code == 0, err);
        }

        public async Task<JsonElement> TrainAsync(string? extraConfigJson = null)
        {
            var (code, stdout, stderr) = await RunAsync("train", "--now", "--json");
            Assert.True(code == 0, stderr + stdout);
            return JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]).RootElement.Clone();
        }

        public RunStore Runs => new(new StateDatabase(System.IO.Path.Combine(State, "state.db")));

        public void Dispose() => dir.Dispose();
    }

    [SharedFact]
    public async Task A_run_on_clean_data_is_accepted_and_publishes_v1()
    {
        using var w = new Workspace();
        await w.IngestAsync("castle", 40);

        var run = await w.TrainAsync();

        Assert.Equal("accepted", run.GetProperty("result").GetString());
        Assert.Equal(0, run.GetProperty("version_before").GetInt32());
        Assert.Equal(1, run.GetProperty("version_after").GetInt32());
        Assert.True(run.GetProperty("general_ppl_after").GetDouble() <= run.GetProperty("general_ppl_before").GetDouble() * 1.03);
        Assert.True(run.GetProperty("decision_loss_after").GetDouble() <= run.GetProperty("decision_loss_before").GetDouble());
        Assert.True(run.GetProperty("train_tokens").GetInt64() > 0);
        var (_, list, _) = await w.RunAsync("checkpoints", "list");
        Assert.Contains("current", list.Split('\n').Single(l => l.StartsWith("v1")));
        var phases = await w.Runs.PhasesAsync(run.GetProperty("run_id").GetInt64(), CancellationToken.None);
        Assert.Equal([RunPhase.Snapshot, RunPhase.EvaluateBefore, RunPhase.Train, RunPhase.EvaluateAfter, RunPhase.Guard, RunPhase.Publish], phases.Select(p => p.Phase));
    }

    [SharedFact]
    public async Task A_harmful_learning_rate_is_rejected_the_version_stays_and_the_next_run_is_gentler()
    {
        using var w = new Workspace(""", "LearningRate": 1.0""");
        await w.IngestAsync("harbour", 40);

        var run = await w.TrainAsync();

        Assert.Equal("rejected", run.GetProperty("result").GetString());
        Assert.Equal(JsonValueKind.Null, run.GetProperty("version_after").ValueKind);
        Assert.True(run.GetProperty("general_ppl_after").GetDouble() > run.GetProperty("general_ppl_before").GetDouble() * 1.03);
        Assert.Contains("general perplexity", run.GetProperty("detail").GetString());
        var (_, list, _) = await w.RunAsync("checkpoints", "list");
        Assert.Contains("current", list.Split('\n').Single(l => l.StartsWith("v0")));
        Assert.DoesNotContain(list.Split('\n'), l => l.StartsWith("v1"));

        var adaptation = await w.Runs.ReadAdaptationAsync(0.25, CancellationToken.None);
        Assert.Equal(new RunAdaptation(1, 0.5, 0.35), adaptation with { ReplayFraction = Math.Round(adaptation.ReplayFraction, 10) });
        var second = await w.TrainAsync();
        var record = await w.Runs.GetAsync(second.GetProperty("run_id").GetInt64(), CancellationToken.None);
        Assert.Contains("\"learning_rate\":0.5", record!.Settings);
    }

    [SharedFact]
    public async Task Two_runs_with_the_same_seed_and_data_publish_identical_adapters()
    {
        string[] hashes = new string[2];
        double[] perplexities = new double[2];
        for (var i = 0; i < 2; i++)
        {
            using var w = new Workspace();
            await w.IngestAsync("library", 30);
            var run = await w.TrainAsync();
            Assert.Equal("accepted", run.GetProperty("result").GetString());
            perplexities[i] = run.GetProperty("general_ppl_after").GetDouble();
            hashes[i] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(System.IO.Path.Combine(w.State, "checkpoints", "v1", "adapter_model.safetensors"))));
        }
        Assert.Equal(hashes[0], hashes[1]);
        Assert.Equal(perplexities[0], perplexities[1]);
    }

    [SharedFact]
    public async Task A_run_whose_memory_estimate_exceeds_the_cap_fails_before_training()
    {
        using var w = new Workspace(""", "MaxMemoryMb": 64""");
        await w.IngestAsync("market", 20);
        var (code, stdout, _) = await w.RunAsync("train", "--now", "--json");
        Assert.Equal(1, code);
        var run = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]).RootElement;
        Assert.Equal("failed", run.GetProperty("result").GetString());
        Assert.Matches(@"^estimated peak memory \d+ MB exceeds Training:MaxMemoryMb = 64 MB$", run.GetProperty("detail").GetString());
    }

    [SharedFact]
    public async Task Runs_list_and_show_tell_what_happened()
    {
        using var w = new Workspace();
        await w.IngestAsync("river", 20);
        var run = await w.TrainAsync();
        var (code, list, _) = await w.RunAsync("runs", "list");
        Assert.Equal(0, code);
        Assert.Contains("accepted", list);
        var (_, show, _) = await w.RunAsync("runs", "show", run.GetProperty("run_id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("evaluate_before", show);
        Assert.Contains("guard: {\"accepted\":true", show);
        var (missing, _, err) = await w.RunAsync("runs", "show", "999");
        Assert.Equal(1, missing);
        Assert.Contains("there is no run 999", err);
    }

    [SharedFact]
    public async Task SIGTERM_mid_training_interrupts_the_run_within_30_s_and_publishes_nothing()
    {
        using var w = new Workspace(""", "Epochs": 100, "BatchTokens": 128""");
        await w.IngestAsync("mountain", 30);
        using var child = DaemonProcess.Start(w.Path(""), new Dictionary<string, string?>(), "train", "--now", "--json", "--config", w.Config);

        var runs = w.Runs;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        TrainingRunRecord? run = null;
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            if (!File.Exists(System.IO.Path.Combine(w.State, "state.db"))) continue;
            try
            {
                run = (await runs.ListAsync(1, CancellationToken.None)).FirstOrDefault();
            }
            catch (StateDatabaseException)
            {
                continue; // not migrated yet
            }
            if (run is { Phase: RunPhase.Train }) break;
        }
        Assert.True(run is { Phase: RunPhase.Train }, "the run never reached training: " + child.Output);

        var stopped = System.Diagnostics.Stopwatch.StartNew();
        child.Signal(DaemonProcess.SIGTERM);
        Assert.True(await child.WaitForExitAsync(TimeSpan.FromSeconds(30)), "still running 30 s after SIGTERM: " + child.Output);
        Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(30));

        var final = await runs.GetAsync(run!.Id, CancellationToken.None);
        Assert.Equal(RunResult.Interrupted, final!.Result);
        Assert.Null(final.VersionAfter);
        Assert.False(Directory.Exists(System.IO.Path.Combine(w.State, "checkpoints", "v1")));
        Assert.Contains("\"result\":\"interrupted\"", child.Output);
    }
}
