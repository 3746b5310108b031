using System.Net;
using System.Runtime.Versioning;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Hosting.Api;

/// <summary>
/// The bearer token of the admin API on a real daemon: required to start beyond loopback, refused when it is
/// not private, then needed by every POST (GETs stay open). The tests connect to 127.0.0.1 only.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class AdminTokenDaemonTests
{
    private const string Token = "9f2c41d07be35a8e6c1f0d94b2a7e5c3";

    private static string WriteToken(TempDir dir, string text, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = dir.Write("admin-token", text);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    [Fact]
    public async Task Listening_beyond_loopback_without_a_token_file_refuses_to_start()
    {
        using var dir = new TempDir();
        var (exitCode, output) = await ApiDaemon.RunRefusedAsync(dir.File("state"), "0.0.0.0", tokenFile: null);
        Assert.Equal(1, exitCode);
        var line = Assert.Single(output.Trim().Split('\n'));
        Assert.StartsWith("configuration error: Metrics:AdminTokenFile is required because Metrics:Listen = '0.0.0.0:", line);
    }

    [Theory]
    [InlineData("world-readable", "is readable by every user (mode 644)")]
    [InlineData("missing", "no such file")]
    [InlineData("empty", "is empty")]
    [InlineData("short", "the token has 6 characters; use at least 16")]
    [InlineData("two-tokens", "must hold one token of visible ASCII characters")]
    public async Task An_unusable_token_file_refuses_to_start_naming_the_key_and_the_file(string problem, string reason)
    {
        using var dir = new TempDir();
        var path = problem switch
        {
            "world-readable" => WriteToken(dir, Token, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead),
            "missing" => dir.File("no-such-token"),
            "empty" => WriteToken(dir, "  \n"),
            "short" => WriteToken(dir, "abc123\n"),
            _ => WriteToken(dir, Token + " " + Token),
        };
        var (exitCode, output) = await ApiDaemon.RunRefusedAsync(dir.File("state"), "0.0.0.0", path);
        Assert.Equal(1, exitCode);
        var line = Assert.Single(output.Trim().Split('\n'));
        Assert.StartsWith($"configuration error: Metrics:AdminTokenFile {path}: {reason}", line);
        Assert.DoesNotContain(Token, output);
        Assert.False(File.Exists(Path.Combine(dir.File("state"), "state.db")), "the daemon touched the state folder before refusing");
    }

    [Fact]
    public async Task Beyond_loopback_every_POST_needs_the_bearer_token_and_GETs_do_not()
    {
        using var state = await ApiState.CreateAsync();
        var tokenFile = WriteToken(state.Dir, "\n" + Token + "\n");
        using var daemon = await ApiDaemon.StartAsync(state.StateDirectory, "0.0.0.0", tokenFile);

        Assert.Equal(HttpStatusCode.OK, (await daemon.GetAsync("/api/status")).Status);
        Assert.Equal(HttpStatusCode.OK, (await daemon.GetAsync("/api/checkpoints")).Status);

        var missing = await daemon.PostAsync("/api/train");
        Assert.Equal(HttpStatusCode.Unauthorized, missing.Status);
        Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.ToString());
        Assert.StartsWith("no bearer token: this endpoint needs 'Authorization: Bearer TOKEN'", missing.Error);

        var wrong = await daemon.PostAsync("/api/train", bearer: Token[..^1] + "0");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
        Assert.Equal("Bearer", wrong.Headers.WwwAuthenticate.ToString());
        Assert.StartsWith("wrong bearer token", wrong.Error);

        var longer = await daemon.PostAsync("/api/train", bearer: Token + Token);
        Assert.Equal(HttpStatusCode.Unauthorized, longer.Status);

        var rollback = await daemon.PostAsync("/api/rollback/v1", """{"reason": "no token"}""");
        Assert.Equal(HttpStatusCode.Unauthorized, rollback.Status);
        Assert.Equal(2, state.Checkpoints.Local.ReadCurrent());

        Assert.Equal(0, await state.RequestCountAsync());

        var right = await daemon.PostAsync("/api/train", bearer: Token);
        Assert.Equal(HttpStatusCode.Accepted, right.Status);
        Assert.Equal("api:127.0.0.1", await state.RequesterOfAsync(right.Json.GetProperty("request_id").GetInt64()));

        var rolledBack = await daemon.PostAsync("/api/rollback/v1", bearer: Token);
        Assert.Equal(HttpStatusCode.OK, rolledBack.Status);
        Assert.Equal(1, state.Checkpoints.Local.ReadCurrent());

        Assert.DoesNotContain(Token, daemon.Process.Output);
        Assert.Contains("refused: wrong bearer token", daemon.Process.Output);
    }

    [Fact]
    public async Task On_loopback_a_configured_token_is_required_too()
    {
        using var state = await ApiState.CreateAsync();
        var tokenFile = WriteToken(state.Dir, Token);
        using var daemon = await ApiDaemon.StartAsync(state.StateDirectory, "127.0.0.1", tokenFile);

        Assert.Equal(HttpStatusCode.Unauthorized, (await daemon.PostAsync("/api/train")).Status);
        Assert.Equal(HttpStatusCode.Accepted, (await daemon.PostAsync("/api/train", bearer: Token)).Status);
    }
}
