using ContinualTrainer.Checkpoints;
using ContinualTrainer.Cli;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Checkpoints;

public sealed class CheckpointsCommandTests
{
    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A state folder (at TEMP/state, the CLI's --state) with v0, v1 and v2 published.</summary>
    private static async Task<CheckpointHarness> StateFolderAsync(TempDir dir)
    {
        var h = await CheckpointHarness.CreateAsync(dir);
        await h.RegisterBaseAsync();
        await h.PublishAsync(12);
        await h.PublishAsync(11);
        return h;
    }

    [Theory]
    [InlineData("list")]
    [InlineData("show")]
    [InlineData("verify")]
    [InlineData("rollback")]
    [InlineData("prune")]
    public async Task Every_subcommand_has_help(string subcommand)
    {
        var (code, stdout, _) = await Run("checkpoints", subcommand, "--help");
        Assert.Equal(0, code);
        Assert.Contains("Usage:", stdout);
        Assert.Contains($"checkpoints {subcommand}", stdout);
    }

    [Fact]
    public async Task List_and_show_print_the_versions_and_their_manifests()
    {
        using var dir = new TempDir();
        await StateFolderAsync(dir);

        var (code, list, _) = await Run("checkpoints", "list", "--state", dir.File("state"));
        var (showCode, show, _) = await Run("checkpoints", "show", "v1", "--state", dir.File("state"));
        var (_, json, _) = await Run("checkpoints", "list", "--json", "--state", dir.File("state"));

        Assert.Equal((0, 0), (code, showCode));
        var lines = list.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("v0        base  -", lines[1]);
        Assert.Matches(@"^v2 +full +v1 .* 11\.0000 +- +current$", lines[3]);
        Assert.Contains("run:           run-staging-1", show);
        Assert.Contains("eval after:    general perplexity 12, domain_perplexity 9.5", show);
        Assert.Contains("  model.safetensors", show);
        using var document = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal("v2", document.RootElement.GetProperty("current").GetString());
        Assert.Equal("full", document.RootElement.GetProperty("versions")[1].GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Rollback_records_the_user_and_the_reason()
    {
        using var dir = new TempDir();
        var h = await StateFolderAsync(dir);

        var (code, stdout, stderr) = await Run("checkpoints", "rollback", "1", "--reason", "worse at tool calls", "--state", dir.File("state"));

        Assert.Equal((0, ""), (code, stderr));
        Assert.StartsWith("current is now v1 (was v2)", stdout);
        Assert.Equal(1, h.Local.ReadCurrent());
        var record = Assert.Single(await h.Repository.Ledger.RollbacksAsync(5, CancellationToken.None));
        Assert.Equal(($"{Environment.UserName} (cli)", "worse at tool calls", RollbackReason.Manual), (record.Who, record.Why, record.Reason));
    }

    [Fact]
    public async Task Verify_exits_1_with_one_line_on_stderr_when_a_file_is_damaged()
    {
        using var dir = new TempDir();
        var h = await StateFolderAsync(dir);
        var (okCode, okOut, _) = await Run("checkpoints", "verify", "--state", dir.File("state"));
        CheckpointHarness.FlipByte(Path.Combine(h.Local.VersionDirectory(1), "model.safetensors"));

        var (code, stdout, stderr) = await Run("checkpoints", "verify", "--state", dir.File("state"));

        Assert.Equal(0, okCode);
        Assert.Equal(["v0 (local): ok", "v1 (local): ok", "v2 (local): ok"], okOut.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("v1 (local): 1 problem: model.safetensors: checksum mismatch", stdout);
        Assert.Equal("error: verification failed: v1 (local)", stderr.Trim());
    }

    [Fact]
    public async Task Prune_dry_run_shows_the_decisions_and_deletes_nothing()
    {
        using var dir = new TempDir();
        var h = await StateFolderAsync(dir);
        File.WriteAllText(dir.File("state/appsettings.json"), """{ "Checkpoints": { "KeepLast": 1, "KeepEvery": 0 } }""");

        var (code, stdout, _) = await Run("checkpoints", "prune", "--dry-run", "--state", dir.File("state"), "--config", dir.File("state/appsettings.json"));

        Assert.Equal(0, code);
        Assert.Contains("v1        would be pruned", stdout);
        Assert.Contains("v0        keep (the base model (v0))", stdout);
        Assert.Contains("v2        keep (one of the last 1, current, best general perplexity (11))", stdout);
        Assert.Equal([0, 1, 2], h.Local.ListVersions());
    }

    [Theory]
    [InlineData("show", "v1x")]
    [InlineData("rollback", "latest")]
    public async Task A_malformed_version_is_a_usage_error(string subcommand, string version)
    {
        using var dir = new TempDir();
        await StateFolderAsync(dir);
        var (code, _, stderr) = await Run("checkpoints", subcommand, version, "--state", dir.File("state"));
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal($"error: '{version}' is not a version (v0, v1, ... or 0, 1, ...)", stderr.Trim());
    }

    [Fact]
    public async Task Failures_are_one_line_on_stderr_with_exit_1()
    {
        using var dir = new TempDir();
        var (noDb, _, noDbErr) = await Run("checkpoints", "list", "--state", dir.Path);
        await StateFolderAsync(dir);
        var (current, _, currentErr) = await Run("checkpoints", "rollback", "v2", "--state", dir.File("state"));

        Assert.Equal((ExitCodes.Failure, ExitCodes.Failure), (noDb, current));
        Assert.Equal($"error: {dir.File("state.db")}: no state database; the daemon has not run on this state folder yet", noDbErr.Trim());
        Assert.Equal("error: v2 is already current", currentErr.Trim());
    }

    [Fact]
    public async Task Status_shows_the_current_version_the_upload_backlog_and_the_last_rollback()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("id_ed25519"), "not read");
        File.WriteAllText(dir.File("known_hosts"), "[storage.example]:22 ssh-ed25519 AAAA\n");
        var config = dir.Write("appsettings.json", $$"""
            { "Checkpoints": { "Ssh": { "Host": "storage.example", "User": "backup", "Path": "/srv/ct",
              "IdentityFile": "{{dir.File("id_ed25519")}}", "KnownHostsFile": "{{dir.File("known_hosts")}}" } } }
            """);
        var h = await CheckpointHarness.CreateAsync(dir, ssh: ContinualTrainer.Configuration.DaemonOptionsLoader.Load(config, dir.File("state")).Checkpoints.Ssh);
        await h.RegisterBaseAsync();
        await h.PublishAsync(12);
        await h.Repository.RollbackAsync(0, "carol", "testing", CancellationToken.None);
        var bytes = (await h.Repository.ListAsync(CancellationToken.None)).Sum(v => v.Bytes);

        var (code, stdout, _) = await Run("status", "--state", dir.File("state"), "--config", config);

        Assert.Equal(0, code);
        Assert.Contains("checkpoints:   current v0, 2 versions stored", stdout);
        Assert.Contains($"uploads:       backlog of 2 versions, {bytes} bytes not yet on the storage host", stdout);
        Assert.Contains("last rollback: v1 -> v0 at ", stdout);
        Assert.Contains("(manual, by carol: testing)", stdout);
    }
}
