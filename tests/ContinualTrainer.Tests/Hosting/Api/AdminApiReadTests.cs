using System.Net;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Hosting.Api;

/// <summary>The GET endpoints of the admin API, on a real daemon over a state folder with versions and runs.</summary>
public sealed class AdminApiReadTests(ApiDaemonFixture fixture) : IClassFixture<ApiDaemonFixture>
{
    private ApiDaemon Daemon => fixture.Daemon;
    private ApiState State => fixture.State;

    [Fact]
    public async Task Status_has_the_facts_of_status_json_with_the_live_phase_and_the_last_run()
    {
        var response = await Daemon.GetAsync("/api/status");
        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("application/json", response.MediaType);
        var status = response.Json;

        var cli = await DaemonProcess.RunToEndAsync(State.Dir.Path, ApiDaemon.Environment(State.StateDirectory, "127.0.0.1:1", null, null), TimeSpan.FromSeconds(30), "status", "--json");
        Assert.Equal(0, cli.ExitCode);
        var expected = System.Text.Json.JsonDocument.Parse(cli.Output).RootElement;
        foreach (var member in expected.EnumerateObject())
            Assert.True(status.TryGetProperty(member.Name, out _), $"/api/status lacks '{member.Name}' of status --json");

        Assert.True(status.GetProperty("daemon_running").GetBoolean());
        Assert.Equal(Daemon.Process.Id, status.GetProperty("pid").GetInt32());
        Assert.Equal(State.StateDirectory, status.GetProperty("state_dir").GetString());
        Assert.Equal("v2", status.GetProperty("checkpoints").GetProperty("current").GetString());
        Assert.Equal(3, status.GetProperty("checkpoints").GetProperty("versions").GetInt32());
        Assert.Equal(System.Text.Json.JsonValueKind.Object, status.GetProperty("ingestion").GetProperty("conversations").ValueKind);
        Assert.Contains(status.GetProperty("phase").GetString(), new[] { "starting", "idle" });
        Assert.StartsWith(status.GetProperty("phase").GetString()!, status.GetProperty("status_line").GetString());
        Assert.StartsWith("a model", Assert.Single(status.GetProperty("waiting_for").EnumerateArray()).GetString());

        var lastRun = status.GetProperty("last_run");
        Assert.Equal(State.RunIds[^1], lastRun.GetProperty("id").GetInt64());
        Assert.Equal("skipped", lastRun.GetProperty("result").GetString());
    }

    [Fact]
    public async Task Runs_are_listed_newest_first_without_phases()
    {
        var response = await Daemon.GetAsync("/api/runs");
        Assert.Equal(HttpStatusCode.OK, response.Status);
        var runs = response.Json.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(State.RunIds.Reverse(), runs.Select(r => r.GetProperty("id").GetInt64()));
        Assert.Equal(["skipped", "rejected", "accepted"], runs.Select(r => r.GetProperty("result").GetString()));
        Assert.Equal(["schedule", "manual", "schedule"], runs.Select(r => r.GetProperty("trigger").GetString()));
        Assert.Equal("cli:alice", runs[1].GetProperty("requested_by").GetString());
        Assert.All(runs, r => Assert.False(r.TryGetProperty("phases", out _)));

        var accepted = runs[2];
        Assert.Equal(0.0002, accepted.GetProperty("settings").GetProperty("learning_rate").GetDouble());
        Assert.Equal(0.25, accepted.GetProperty("adaptation").GetProperty("replay_fraction").GetDouble());
        Assert.Equal("v1", accepted.GetProperty("version_before").GetString());
        Assert.Equal("v2", accepted.GetProperty("version_after").GetString());
        Assert.Equal(1.25, accepted.GetProperty("last_loss").GetDouble());
    }

    [Fact]
    public async Task A_limit_keeps_the_newest_runs()
    {
        var response = await Daemon.GetAsync("/api/runs?limit=2");
        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal([State.RunIds[2], State.RunIds[1]], response.Json.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()));
    }

    [Theory]
    [InlineData("limit=0", "limit = '0' is not valid: expected a whole number from 1 to 500")]
    [InlineData("limit=501", "limit = '501' is not valid")]
    [InlineData("limit=ten", "limit = 'ten' is not valid")]
    [InlineData("limit=-1", "limit = '-1' is not valid")]
    [InlineData("limit=", "limit = '' is not valid")]
    [InlineData("limit=2&limit=3", "query parameter 'limit' is given 2 times")]
    [InlineData("limt=2", "unknown query parameter 'limt' (known: limit)")]
    public async Task A_bad_limit_is_400_with_the_reason(string query, string reason)
    {
        var response = await Daemon.GetAsync("/api/runs?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.StartsWith(reason, response.Error);
    }

    [Fact]
    public async Task One_run_comes_with_its_phases()
    {
        var id = State.RunIds[0];
        var response = await Daemon.GetAsync($"/api/runs/{id}");
        Assert.Equal(HttpStatusCode.OK, response.Status);
        var run = response.Json;
        Assert.Equal(id, run.GetProperty("id").GetInt64());
        var phases = run.GetProperty("phases").EnumerateArray().ToList();
        Assert.Equal(["snapshot", "train"], phases.Select(p => p.GetProperty("phase").GetString()));
        Assert.Equal("12 steps", phases[1].GetProperty("detail").GetString());
        Assert.All(phases, p => Assert.Equal(System.Text.Json.JsonValueKind.String, p.GetProperty("finished_utc").ValueKind));
    }

    [Fact]
    public async Task An_unknown_run_is_404_and_a_malformed_id_400()
    {
        var unknown = await Daemon.GetAsync("/api/runs/9999");
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal("there is no run 9999", unknown.Error);

        var malformed = await Daemon.GetAsync("/api/runs/last");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.Status);
        Assert.Equal("'last' is not a run id: expected a whole number from 1", malformed.Error);
    }

    [Fact]
    public async Task Checkpoints_lists_the_versions_and_the_current_one()
    {
        var response = await Daemon.GetAsync("/api/checkpoints");
        Assert.Equal(HttpStatusCode.OK, response.Status);
        var list = response.Json;
        Assert.Equal("v2", list.GetProperty("current").GetString());
        var versions = list.GetProperty("versions").EnumerateArray().ToList();
        var recorded = await State.Checkpoints.Repository.ListAsync(CancellationToken.None);
        Assert.Equal(recorded.Select(v => v.Name), versions.Select(v => v.GetProperty("name").GetString()));
        Assert.Equal(recorded.Select(v => v.ManifestSha256), versions.Select(v => v.GetProperty("manifest_sha256").GetString()));
        Assert.Equal(["base", "full", "full"], versions.Select(v => v.GetProperty("kind").GetString()));
        Assert.Equal(18.5, versions[2].GetProperty("general_perplexity").GetDouble());

        var bad = await Daemon.GetAsync("/api/checkpoints?all=yes");
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Equal("all = 'yes' is not valid: expected true or false", bad.Error);
    }

    [Fact]
    public async Task Unknown_paths_and_wrong_methods_answer_json_errors()
    {
        var unknown = await Daemon.GetAsync("/api/nothing");
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal("no such endpoint: GET /api/nothing", unknown.Error);

        var outside = await Daemon.GetAsync("/index.html");
        Assert.Equal(HttpStatusCode.NotFound, outside.Status);
        Assert.Equal("no such endpoint: GET /index.html", outside.Error);

        var method = await Daemon.SendAsync(HttpMethod.Delete, "/api/runs");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, method.Status);
        Assert.Equal("DELETE is not allowed on /api/runs", method.Error);
    }

    [Fact]
    public async Task Metrics_are_still_served_as_prometheus_text()
    {
        using var response = await Daemon.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("continual_trainer_build_info{", await response.Content.ReadAsStringAsync());
    }
}
