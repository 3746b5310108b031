using System.Net;
using System.Text;
using ContinualTrainer.Tests.Checkpoints;
using ContinualTrainer.Training;

namespace ContinualTrainer.Tests.Hosting.Api;

/// <summary>The POST endpoints of the admin API on a real daemon bound to loopback without a token, and their request limits.</summary>
public sealed class AdminApiWriteTests(ApiDaemonFixture fixture) : IClassFixture<ApiDaemonFixture>
{
    private ApiDaemon Daemon => fixture.Daemon;
    private ApiState State => fixture.State;

    [Fact]
    public async Task Train_records_a_request_that_can_be_followed_to_the_run_that_serves_it()
    {
        var response = await Daemon.PostAsync("/api/train");
        Assert.Equal(HttpStatusCode.Accepted, response.Status);
        var requestId = response.Json.GetProperty("request_id").GetInt64();
        Assert.Equal($"/api/train/{requestId}", response.Headers.Location?.OriginalString);
        Assert.Equal("api:127.0.0.1", await State.RequesterOfAsync(requestId));

        // The daemon's scheduler claims the request with a run (skipped: the daemon has no model).
        long? runId = null;
        for (var attempt = 0; attempt < 200 && runId is null; attempt++)
        {
            var state = await Daemon.GetAsync($"/api/train/{requestId}");
            Assert.Equal(HttpStatusCode.OK, state.Status);
            Assert.Equal(requestId, state.Json.GetProperty("request_id").GetInt64());
            var run = state.Json.GetProperty("run_id");
            if (run.ValueKind == System.Text.Json.JsonValueKind.Number) runId = run.GetInt64();
            else await Task.Delay(100);
        }
        Assert.NotNull(runId);
        Assert.Equal(runId, await State.Runs.RunForRequestAsync(requestId, CancellationToken.None));
        var served = await State.Runs.GetAsync(runId.Value, CancellationToken.None);
        Assert.Equal(RunTrigger.Manual, served?.Trigger);
        Assert.Equal("api:127.0.0.1", served?.RequestedBy);
    }

    [Fact]
    public async Task Train_takes_an_empty_object_but_no_parameters()
    {
        var empty = await Daemon.PostAsync("/api/train", "{}");
        Assert.Equal(HttpStatusCode.Accepted, empty.Status);

        var parameters = await Daemon.PostAsync("/api/train", """{"steps": 10}""");
        Assert.Equal(HttpStatusCode.BadRequest, parameters.Status);
        Assert.Equal("POST /api/train takes no parameters: send no body or {}", parameters.Error);
    }

    [Fact]
    public async Task Rollback_makes_an_earlier_version_current_and_records_who_and_why()
    {
        var response = await Daemon.PostAsync("/api/rollback/v1", """{"reason": "answers got worse"}""");
        Assert.Equal(HttpStatusCode.OK, response.Status);
        var record = response.Json;
        Assert.Equal(2, record.GetProperty("from").GetInt32());
        Assert.Equal(1, record.GetProperty("to").GetInt32());
        Assert.Equal("manual", record.GetProperty("reason").GetString());
        Assert.Equal("api:127.0.0.1", record.GetProperty("who").GetString());
        Assert.Equal("answers got worse", record.GetProperty("why").GetString());
        Assert.Equal(1, State.Checkpoints.Local.ReadCurrent());
        var recorded = (await State.Checkpoints.Repository.Ledger.RollbacksAsync(1, CancellationToken.None))[0];
        Assert.Equal(("api:127.0.0.1", "answers got worse"), (recorded.Who, recorded.Why));

        var again = await Daemon.PostAsync("/api/rollback/1");
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Equal("v1 is already current", again.Error);

        var back = await Daemon.PostAsync("/api/rollback/2");
        Assert.Equal(HttpStatusCode.OK, back.Status);
        Assert.Equal("rollback through the admin API", back.Json.GetProperty("why").GetString());
        Assert.Equal(2, State.Checkpoints.Local.ReadCurrent());
    }

    [Fact]
    public async Task Rollback_to_a_version_never_recorded_is_404()
    {
        var response = await Daemon.PostAsync("/api/rollback/v7");
        Assert.Equal(HttpStatusCode.NotFound, response.Status);
        Assert.Equal("v7 is not a recorded version", response.Error);
    }

    [Fact]
    public async Task Rollback_to_a_damaged_version_is_409_and_changes_nothing()
    {
        var current = State.Checkpoints.Local.ReadCurrent();
        CheckpointHarness.FlipByte(Path.Combine(State.Checkpoints.Local.VersionDirectory(0), "model.safetensors"));
        var response = await Daemon.PostAsync("/api/rollback/v0");
        Assert.Equal(HttpStatusCode.Conflict, response.Status);
        Assert.Contains("v0", response.Error);
        Assert.Equal(current, State.Checkpoints.Local.ReadCurrent());
    }

    [Theory]
    [InlineData("x1")]
    [InlineData("v01")]
    [InlineData("01")]
    [InlineData("1.5")]
    [InlineData("v-1")]
    [InlineData("V1")]
    [InlineData("v1234567890")]
    public async Task Rollback_with_a_malformed_version_is_400(string version)
    {
        var response = await Daemon.PostAsync("/api/rollback/" + version);
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal($"'{version}' is not a version: write v12 or 12", response.Error);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_body_over_16_KiB_is_413(bool chunked)
    {
        var json = Encoding.UTF8.GetBytes($$"""{"reason": "{{new string('a', 16 * 1024)}}"}""");
        HttpContent content = chunked ? new StreamContent(new UnknownLengthStream(json)) : new ByteArrayContent(json);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var response = await Daemon.SendAsync(HttpMethod.Post, "/api/rollback/v1", content);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.Status);
        Assert.StartsWith("the request body may have at most 16384 bytes", response.Error);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_415()
    {
        var response = await Daemon.SendAsync(HttpMethod.Post, "/api/rollback/v1", new StringContent("reason=bad", Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.Status);
        Assert.Equal("the request body must be JSON (Content-Type: application/json), not 'application/x-www-form-urlencoded; charset=utf-8'", response.Error);
    }

    [Theory]
    [InlineData("""{"reason": """, "the request body is not valid JSON: ")]
    [InlineData("""{reason: "x"}""", "the request body is not valid JSON: ")]
    [InlineData("[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]", "the request body is not valid JSON: The maximum configured depth of 16 has been exceeded")]
    [InlineData("""["bad"]""", "the body must be a JSON object such as {\"reason\": \"...\"}")]
    [InlineData("""{"reason": "x", "force": true}""", "unknown member 'force' in the body (known: reason)")]
    [InlineData("""{"reason": 5}""", "reason must be a string, not number")]
    [InlineData("""{"reason": "  "}""", "reason must have 1 to 1000 characters and no control characters")]
    [InlineData("""{"reason": "two\nlines"}""", "reason must have 1 to 1000 characters and no control characters")]
    public async Task A_malformed_body_is_400_with_the_reason(string body, string reason)
    {
        var response = await Daemon.PostAsync("/api/rollback/v1", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.StartsWith(reason, response.Error);
        Assert.Equal(2, State.Checkpoints.Local.ReadCurrent());
    }

    [Fact]
    public async Task Requests_from_web_pages_are_refused()
    {
        var before = await State.RequestCountAsync();
        var response = await Daemon.SendAsync(HttpMethod.Post, "/api/train", adjust: r => r.Headers.Add("Origin", "http://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, response.Status);
        Assert.StartsWith("requests from web pages are refused", response.Error);
        Assert.Equal(before, await State.RequestCountAsync());
    }
}
