using System.Globalization;
using System.Net;
using System.Runtime.Versioning;
using System.Text.Json;
using Xunit.Sdk;

namespace ContinualTrainer.Tests.EndToEnd;

/// <summary>
/// The product as a whole (issue #9): the published <c>continual-trainer</c> executable runs as a daemon on one state
/// folder with the tiny-llama fixture while a real Prometheus server scrapes it with the shipped alerting rules, and the
/// test reaches it only from outside — files dropped into its inbox, the admin API, /metrics, the CLI verbs, signals.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class WholeDaemonTests
{
    private static readonly TimeSpan Started = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Ingested = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RunFinished = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Observed = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan StopsWithin = TimeSpan.FromSeconds(10);

    private const string PerplexityRegression = "PerplexityRegression";
    private const string Examples = "continual_trainer_examples{category=\"transcript\"}";
    private const string CurrentVersion = "continual_trainer_checkpoint_current_version";
    private const string Accepted = "continual_trainer_runs_total{result=\"accepted\"}";
    private const string Rejected = "continual_trainer_runs_total{result=\"rejected\"}";
    private const string PerplexityRatio = "continual_trainer_last_run_perplexity_ratio";
    private const string MaxPerplexityIncrease = "continual_trainer_guard_max_perplexity_increase";
    private const string Distinct2 = "continual_trainer_dataset_distinct_2";

    /// <summary>40 conversations per inbox file, each with one assistant answer: one decision example each.</summary>
    private const int PerFile = 40;

    private static string RulesFile => Path.Combine(SharedFixtures.RepoRoot, "etc", "prometheus", "continual-trainer.rules.yml");

    [EndToEndFact]
    public async Task Ingests_trains_refuses_a_harmful_run_rolls_back_and_restarts_losing_and_repeating_nothing()
    {
        using var workspace = new EndToEndWorkspace();
        var log = new ProcessLog();
        try
        {
            var published = await PublishedDaemon.PublishAsync(workspace.Path("publish"));
            using var prometheus = await PrometheusServer.StartAsync(workspace.Path("prometheus"), workspace.Port, RulesFile, log, Started);

            using (var first = await StartAsync("daemon 1", published, workspace, log))
            {
                await PublishesV1FromNewTranscriptsAsync(first, prometheus);
                await StopsCleanlyAsync(first);
            }

            DaemonFacts before;
            using (var second = await StartAsync("daemon 2", published, workspace, log, new() { ["CONTINUAL_TRAINER__Training__LearningRate"] = "1.0" }))
            {
                await RejectsAHarmfulRunAndFiresThePerplexityAlertAsync(second, prometheus);
                await RollsBackToV0Async(second);
                before = await DaemonFacts.ReadAsync(second);
                await StopsCleanlyAsync(second);
            }

            using (var third = await StartAsync("daemon 3", published, workspace, log))
            {
                await LosesAndRepeatsNothingAcrossARestartAsync(third, before);
                await StopsCleanlyAsync(third);
            }
        }
        catch (Exception e)
        {
            throw new XunitException($"{e.Message}\n--- last output of the daemon and prometheus ---\n{log.Tail(80)}", e);
        }
    }

    /// <summary>Steps 2-3: transcripts dropped into the inbox are ingested; POST /api/train runs, is accepted and publishes v1.</summary>
    private static async Task PublishesV1FromNewTranscriptsAsync(DaemonInstance daemon, PrometheusServer prometheus)
    {
        InboxTranscripts.Drop(daemon.Workspace.Inbox, "questions-1", firstSeed: 1, count: PerFile);
        await WaitForIngestionAsync(daemon, PerFile);

        var refused = await daemon.PostAsync("/api/train", authorized: false);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        var run = await TrainAsync(daemon);

        Assert.Equal("accepted", run.GetProperty("result").GetString());
        Assert.Equal("manual", run.GetProperty("trigger").GetString());
        Assert.Equal("v0", run.GetProperty("version_before").GetString());
        Assert.Equal("v1", run.GetProperty("version_after").GetString());
        Assert.Equal(["snapshot", "evaluate_before", "train", "evaluate_after", "guard", "publish"], Phases(run));
        var (pplBefore, pplAfter) = GeneralPerplexity(run);
        Assert.True(pplAfter <= pplBefore * 1.03, $"accepted with general perplexity {pplBefore} -> {pplAfter}");

        var checkpoints = await daemon.GetJsonAsync("/api/checkpoints");
        Assert.Equal("v1", checkpoints.GetProperty("current").GetString());
        var v1 = checkpoints.GetProperty("versions").EnumerateArray().Single(v => v.GetProperty("name").GetString() == "v1");
        Assert.Equal(0, v1.GetProperty("parent").GetInt32());
        Assert.Equal(run.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture), v1.GetProperty("run_id").GetString());
        Assert.Contains("current", await CheckpointLineAsync(daemon, "v1"));

        var metrics = await WaitForMetricsAsync(daemon, "/metrics counting the accepted run and serving v1", m => m[Accepted] == 1 && m[CurrentVersion] == 1);
        Assert.Equal(0, metrics[Rejected]);
        Assert.Equal(pplAfter / pplBefore, metrics[PerplexityRatio]!.Value, 9);

        var status = await daemon.GetJsonAsync("/api/status");
        Assert.Equal("idle", status.GetProperty("phase").GetString());
        Assert.Equal(run.GetProperty("id").GetInt64(), status.GetProperty("last_run").GetProperty("id").GetInt64());
        Assert.Equal("v1", status.GetProperty("checkpoints").GetProperty("current").GetString());
        var verb = await WaitForStatusVerbAsync(daemon, "model v1");
        Assert.True(verb.GetProperty("daemon_running").GetBoolean());
        Assert.Equal(daemon.Id, verb.GetProperty("pid").GetInt32());
        Assert.Equal("v1", verb.GetProperty("checkpoints").GetProperty("current").GetString());
        Assert.Equal(PerFile, verb.GetProperty("ingestion").GetProperty("conversation_count").GetInt64());

        // The rule stays silent on a run within the guard, once Prometheus has scraped its ratio.
        var expression = await prometheus.AlertExpressionAsync(PerplexityRegression);
        await Poll.UntilAsync("prometheus holding the accepted run's perplexity ratio", Observed,
            () => prometheus.QueryAsync($"{PerplexityRatio}{{job=\"{PrometheusServer.Job}\"}}"), r => r.GetArrayLength() == 1);
        Assert.Equal(0, (await prometheus.QueryAsync(expression)).GetArrayLength());
    }

    /// <summary>Step 4: a restart with learning rate 1.0 and new transcripts: the run is rejected, v1 stays, and PerplexityRegression holds in Prometheus.</summary>
    private static async Task RejectsAHarmfulRunAndFiresThePerplexityAlertAsync(DaemonInstance daemon, PrometheusServer prometheus)
    {
        InboxTranscripts.Drop(daemon.Workspace.Inbox, "questions-2", firstSeed: 1000, count: PerFile);
        await WaitForIngestionAsync(daemon, 2 * PerFile);

        var run = await TrainAsync(daemon);

        Assert.Equal("rejected", run.GetProperty("result").GetString());
        Assert.Equal(1.0, run.GetProperty("settings").GetProperty("training").GetProperty("learning_rate").GetDouble());
        Assert.Equal("v1", run.GetProperty("version_before").GetString());
        Assert.Equal(JsonValueKind.Null, run.GetProperty("version_after").ValueKind);
        Assert.Equal(["snapshot", "evaluate_before", "train", "evaluate_after", "guard"], Phases(run));
        Assert.Contains("general perplexity", run.GetProperty("detail").GetString());
        var (pplBefore, pplAfter) = GeneralPerplexity(run);
        Assert.True(pplAfter > pplBefore * 1.03, $"rejected with general perplexity {pplBefore} -> {pplAfter}");

        var checkpoints = await daemon.GetJsonAsync("/api/checkpoints");
        Assert.Equal("v1", checkpoints.GetProperty("current").GetString());
        Assert.Equal(["v0", "v1"], checkpoints.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("name").GetString()));
        Assert.Contains("current", await CheckpointLineAsync(daemon, "v1"));

        var metrics = await WaitForMetricsAsync(daemon, "/metrics counting the rejected run", m => m[Rejected] == 1);
        Assert.Equal(1, metrics[CurrentVersion]);
        Assert.Equal(pplAfter / pplBefore, metrics[PerplexityRatio]!.Value, 6);
        Assert.Equal(0.03, metrics[MaxPerplexityIncrease]);

        var expression = await prometheus.AlertExpressionAsync(PerplexityRegression);
        var result = await Poll.UntilAsync($"{PerplexityRegression} ({expression}) true in prometheus", Observed,
            () => prometheus.QueryAsync(expression), r => r.GetArrayLength() > 0);
        var sample = Assert.Single(result.EnumerateArray());
        Assert.Equal(PrometheusServer.Job, sample.GetProperty("metric").GetProperty("job").GetString());
        Assert.Equal(pplAfter / pplBefore - 1, double.Parse(sample.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture), 6);
        await Poll.UntilAsync($"alert {PerplexityRegression} firing", Observed, () => prometheus.AlertStateAsync(PerplexityRegression), state => state == "firing");
    }

    /// <summary>Step 5: POST /api/rollback/v0 makes the base model current again, recorded as a manual rollback.</summary>
    private static async Task RollsBackToV0Async(DaemonInstance daemon)
    {
        var rollback = await daemon.PostAsync("/api/rollback/v0", """{"reason": "end-to-end test"}""");
        Assert.True(rollback.Status == HttpStatusCode.OK, rollback.Body);
        Assert.Equal(1, rollback.Json.GetProperty("from").GetInt32());
        Assert.Equal(0, rollback.Json.GetProperty("to").GetInt32());
        Assert.Equal("manual", rollback.Json.GetProperty("reason").GetString());
        Assert.Equal("end-to-end test", rollback.Json.GetProperty("why").GetString());

        Assert.Equal("v0", (await daemon.GetJsonAsync("/api/checkpoints")).GetProperty("current").GetString());
        Assert.Contains("current", await CheckpointLineAsync(daemon, "v0"));
        Assert.DoesNotContain("current", await CheckpointLineAsync(daemon, "v1"));
        await WaitForMetricsAsync(daemon, "/metrics serving v0 after one manual rollback, the base model: serving ratio 1",
            m => m[CurrentVersion] == 0 && m["continual_trainer_rollbacks_total{reason=\"manual\"}"] == 1
                 && m["continual_trainer_serving_perplexity_ratio"] == 1.0);
        var status = await daemon.GetJsonAsync("/api/status");
        Assert.Equal("v0", status.GetProperty("checkpoints").GetProperty("current").GetString());
        Assert.Equal(0, status.GetProperty("checkpoints").GetProperty("last_rollback").GetProperty("to").GetInt32());
    }

    /// <summary>Step 7: the same conversations, examples, input files, runs and versions; v0 still current; nothing ingested again.</summary>
    private static async Task LosesAndRepeatsNothingAcrossARestartAsync(DaemonInstance daemon, DaemonFacts before)
    {
        await WaitForMetricsAsync(daemon, "/metrics with the dataset figures computed at start-up", m => m[Distinct2] is not null);
        // Re-ingesting would show as a change, so only time can tell it did not happen: let three full rescans of the inbox pass.
        await Task.Delay(TimeSpan.FromSeconds(3 * EndToEndWorkspace.RescanSeconds));

        var after = await DaemonFacts.ReadAsync(daemon);
        Assert.Equal(before, after);
        Assert.Equal("v0", after.Current);
        Assert.Equal(2 * PerFile, after.Examples);
        Assert.Equal([2L, 1L], JsonDocument.Parse(after.Runs).RootElement.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()));
        var metrics = await daemon.MetricsAsync();
        // What the PerplexityRegression rule reads is there from start-up, before any run.
        Assert.NotNull(metrics[MaxPerplexityIncrease]);
        Assert.Equal(1.0, metrics["continual_trainer_serving_perplexity_ratio"]);
        Assert.Equal(0, metrics["continual_trainer_files_ingested_total{category=\"transcript\"}"]);
        Assert.Equal(0, metrics["continual_trainer_conversations_ingested_total{category=\"transcript\",source_type=\"openai\"}"] ?? 0);
        Assert.Contains("current", await CheckpointLineAsync(daemon, "v0"));
    }

    /// <summary>Step 6: SIGTERM ends the daemon with exit code 0 within 10 s, and <c>status</c> then says it is not running.</summary>
    private static async Task StopsCleanlyAsync(DaemonInstance daemon)
    {
        Assert.Equal(0, await daemon.StopAsync(StopsWithin));
        var (exitCode, stdout, stderr) = await daemon.VerbAsync("status", "--json");
        Assert.True(exitCode == 0, stderr);
        var status = JsonDocument.Parse(stdout).RootElement;
        Assert.False(status.GetProperty("daemon_running").GetBoolean());
        Assert.Equal("not running", status.GetProperty("status_line").GetString());
        Assert.Equal(JsonValueKind.String, status.GetProperty("last_stopped_utc").ValueKind);
    }

    private static Task<DaemonInstance> StartAsync(string name, PublishedDaemon published, EndToEndWorkspace workspace, ProcessLog log,
        Dictionary<string, string>? environment = null) =>
        DaemonInstance.StartAsync(name, published, workspace, log, environment ?? [], Started);

    /// <summary>Waits until the daemon stored <paramref name="conversations"/> conversations and derived one example from each.</summary>
    private static async Task WaitForIngestionAsync(DaemonInstance daemon, int conversations)
    {
        await Poll.UntilAsync($"{conversations} conversations ingested", Ingested,
            () => daemon.GetJsonAsync("/api/status"), s => s.GetProperty("ingestion").GetProperty("conversation_count").GetInt64() == conversations);
        await WaitForMetricsAsync(daemon, $"{conversations} examples derived", m => m[Examples] == conversations);
    }

    /// <summary>POST /api/train with the token, then follows the request to its run until the run has finished; the run.</summary>
    private static async Task<JsonElement> TrainAsync(DaemonInstance daemon)
    {
        var posted = await daemon.PostAsync("/api/train");
        Assert.True(posted.Status == HttpStatusCode.Accepted, posted.Body);
        var requestId = posted.Json.GetProperty("request_id").GetInt64();
        Assert.Equal($"/api/train/{requestId}", posted.Headers.Location?.OriginalString);
        var request = await Poll.UntilAsync($"a run serving request {requestId}", RunFinished,
            () => daemon.GetJsonAsync($"/api/train/{requestId}"), r => r.GetProperty("run_id").ValueKind == JsonValueKind.Number);
        var runId = request.GetProperty("run_id").GetInt64();
        return await Poll.UntilAsync($"run {runId} finished", RunFinished,
            () => daemon.GetJsonAsync($"/api/runs/{runId}"), r => r.GetProperty("result").GetString() != "running");
    }

    private static Task<MetricSamples> WaitForMetricsAsync(DaemonInstance daemon, string what, Func<MetricSamples, bool> done) =>
        Poll.UntilAsync(what, Observed, daemon.MetricsAsync, done);

    /// <summary>Runs <c>status --json</c> until its status line (stored by the daemon once a second) contains <paramref name="text"/>.</summary>
    private static Task<JsonElement> WaitForStatusVerbAsync(DaemonInstance daemon, string text) =>
        Poll.UntilAsync($"status --json saying '{text}'", Observed, async () =>
        {
            var (exitCode, stdout, stderr) = await daemon.VerbAsync("status", "--json");
            if (exitCode != 0) throw new InvalidOperationException($"status --json: exit code {exitCode}: {stderr}");
            return JsonDocument.Parse(stdout).RootElement.Clone();
        }, s => s.GetProperty("status_line").GetString()?.Contains(text, StringComparison.Ordinal) == true);

    /// <summary>The line of <c>checkpoints list</c> for <paramref name="version"/>.</summary>
    private static async Task<string> CheckpointLineAsync(DaemonInstance daemon, string version)
    {
        var (exitCode, stdout, stderr) = await daemon.VerbAsync("checkpoints", "list");
        Assert.True(exitCode == 0, stderr);
        return Assert.Single(stdout.Split('\n'), l => l.StartsWith(version + " ", StringComparison.Ordinal));
    }

    private static IEnumerable<string?> Phases(JsonElement run) =>
        run.GetProperty("phases").EnumerateArray().Select(p => p.GetProperty("phase").GetString());

    private static (double Before, double After) GeneralPerplexity(JsonElement run) =>
        (run.GetProperty("evaluation_before").GetProperty("general_perplexity").GetDouble(),
         run.GetProperty("evaluation_after").GetProperty("general_perplexity").GetDouble());
}
