using System.Text;
using ContinualTrainer.Checkpoints;
using ContinualTrainer.Tests.Support;
using Microsoft.Data.Sqlite;

namespace ContinualTrainer.Tests.Checkpoints;

public sealed class CheckpointRepositoryTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Registering_the_base_copies_config_tokenizer_and_weights_but_never_pickles()
    {
        using var dir = new TempDir();
        var h = await CheckpointHarness.CreateAsync(dir);
        var v0 = await h.RegisterBaseAsync();

        Assert.Equal(0, v0.Number);
        Assert.Equal(CheckpointKind.Base, v0.Kind);
        var stored = Directory.EnumerateFiles(h.Local.VersionDirectory(0)).Select(f => Path.GetFileName(f)).Order().ToArray();
        Assert.Equal(["config.json", "manifest.json", "manifest.sha256", "model.safetensors", "tokenizer.json"], stored);
        foreach (var name in new[] { "config.json", "model.safetensors", "tokenizer.json" })
            Assert.Equal(CheckpointHarness.Sha256(dir.File("base-model/" + name)), CheckpointHarness.Sha256(Path.Combine(h.Local.VersionDirectory(0), name)));
        Assert.Equal(0, h.Local.ReadCurrent());
        Assert.Equal(dir.File("base-model"), (await h.Repository.ReadManifestAsync(0, None)).Source);

        var again = await h.Repository.RegisterBaseAsync(dir.File("base-model"), None);
        Assert.Equal(v0.ManifestSha256, again.ManifestSha256);
        Assert.Single(await h.Repository.ListAsync(None));
    }

    [Fact]
    public async Task Publishing_records_every_fact_and_file_in_the_manifest_and_moves_current()
    {
        using var dir = new TempDir();
        var h = await CheckpointHarness.CreateAsync(dir);
        await h.RegisterBaseAsync();
        var before = DateTimeOffset.UtcNow;
        var result = await h.PublishAsync(11.5);

        Assert.Equal(new PublishResult(1, 1, null), result);
        Assert.Equal(1, h.Local.ReadCurrent());
        var directory = h.Local.VersionDirectory(1);
        var manifest = CheckpointManifest.Parse(File.ReadAllBytes(Path.Combine(directory, "manifest.json")), "v1");
        Assert.Equal(("v1", "v0", CheckpointKind.Full), (manifest.Version, manifest.Parent, manifest.Kind));
        Assert.Equal(("run-staging-1", "snapshot-7", "cfg-3f2a"), (manifest.RunId, manifest.DatasetSnapshotId, manifest.ConfigHash));
        Assert.Equal((20.0, 11.5, 9.5), (manifest.EvaluationBefore!.GeneralPerplexity, manifest.EvaluationAfter!.GeneralPerplexity, manifest.EvaluationAfter.Metrics["domain_perplexity"]));
        Assert.Equal("accept: general perplexity within 2% of the parent", manifest.GuardDecision);
        Assert.Equal(ContinualTrainer.Engine.EngineInfo.Version, manifest.EngineVersion);
        Assert.InRange(manifest.CreatedUtc, before.AddSeconds(-1), DateTimeOffset.UtcNow);
        Assert.Equal(["config.json", "model.safetensors", "tokenizer.json"], manifest.Files.Select(f => f.Path));
        foreach (var file in manifest.Files)
        {
            Assert.Equal(CheckpointHarness.Sha256(dir.File("staging-1/" + file.Path)), file.Sha256);
            Assert.Equal(new FileInfo(dir.File("staging-1/" + file.Path)).Length, file.Size);
        }
        var manifestSha = CheckpointHarness.Sha256(Path.Combine(directory, "manifest.json"));
        Assert.Equal($"{manifestSha}  manifest.json\n", File.ReadAllText(Path.Combine(directory, "manifest.sha256")));

        var row = (await h.Repository.ListAsync(None)).Single(v => v.Number == 1);
        Assert.Equal((0, manifestSha, 11.5, (string?)null), (row.Parent!.Value, row.ManifestSha256, row.GeneralPerplexity!.Value, row.Rejected));
        Assert.Equal([(0, (long?)null, "base"), (1, 0L, "publish")], await PublicationsAsync(h));
        Assert.Equal(1, h.Metric("continual_trainer_checkpoint_current_version"));
    }

    [Fact]
    public async Task Publishing_refuses_a_staging_directory_with_a_symbolic_link_and_changes_nothing()
    {
        using var dir = new TempDir();
        var h = await CheckpointHarness.CreateAsync(dir);
        await h.RegisterBaseAsync();
        var staging = TestModels.WriteModel(dir.File("staging"), seed: 5);
        File.CreateSymbolicLink(Path.Combine(staging, "generation_config.json"), "/etc/hostname");

        var error = await Assert.ThrowsAsync<CheckpointException>(() => h.Repository.PublishAsync(CheckpointHarness.Request(staging, 11), None));

        Assert.Contains("generation_config.json: is a symbolic link", error.Message);
        Assert.Equal([0], h.Local.ListVersions());
        Assert.Equal(0, h.Local.ReadCurrent());
    }

    [Fact]
    public async Task Publishing_refuses_files_that_do_not_make_a_model_of_their_kind()
    {
        using var dir = new TempDir();
        var h = await CheckpointHarness.CreateAsync(dir);
        await h.RegisterBaseAsync();
        var broken = TestModels.WriteModel(dir.File("broken"), seed: 5);
        File.WriteAllBytes(Path.Combine(broken, "model.safetensors"), Encoding.ASCII.GetBytes("\x80\x04 not a safetensors file"));
        var adapter = TestModels.WriteLoraAdapter(dir.File("adapter"), seed: 6);
        File.Delete(Path.Combine(adapter, "adapter_config.json"));

        var weights = await Assert.ThrowsAsync<CheckpointException>(() => h.Repository.PublishAsync(CheckpointHarness.Request(broken, 11), None));
        var lora = await Assert.ThrowsAsync<CheckpointException>(() => h.Repository.PublishAsync(CheckpointHarness.Request(adapter, 11, CheckpointKind.Lora), None));

        Assert.Contains("model.safetensors is not a valid safetensors file", weights.Message);
        Assert.Contains("a LoRA version needs adapter_config.json", lora.Message);
        Assert.Equal([0], h.Local.ListVersions());
    }

    [Fact]
    public async Task A_LoRA_adapter_loads_with_its_parent_unless_it_carries_merged_weights()
    {
        using var dir = new TempDir();
        var h = await CheckpointHarness.CreateAsync(dir);
        await h.RegisterBaseAsync();
        await h.PublishAsync(12, CheckpointKind.Lora);
        await h.PublishAsync(11, CheckpointKind.Lora, merged: true);

        var adapterOnly = await h.Repository.LoadAsync(1, None);
        var merged = await h.Repository.LoadAsync(2, None);

        Assert.Equal(["adapter_config.json", "adapter_model.safetensors"], adapterOnly.Manifest.Files.Select(f => f.Path));
        Assert.Equal(0, adapterOnly.Parent?.Version);
        Assert.Contains("merged/model.safetensors", merged.Manifest.Files.Select(f => f.Path));
        Assert.Null(merged.Parent);
    }

    [Fact]
    public async Task Verification_finds_an_altered_byte_a_truncated_file_an_unlisted_file_and_a_symbolic_link()
    {
        using var dir = new TempDir();
        var h = await CheckpointHarness.CreateAsync(dir);
        await h.RegisterBaseAsync();
        await h.PublishAsync(11);
        var v1 = h.Local.VersionDirectory(1);
        CheckpointHarness.FlipByte(Path.Combine(v1, "model.safetensors"));
        File.WriteAllText(Path.Combine(v1, "tokenizer.json"), "{}");
        File.WriteAllText(Path.Combine(v1, "notes.txt"), "left behind");
        File.CreateSymbolicLink(Path.Combine(v1, "extra.json"), "/etc/passwd");

        var check = Assert.Single(await h.Repository.VerifyAsync(1, includeRemote: false, repair: false, None));

        Assert.False(check.Ok);
        var problems = check.Problems.Select(p => p.ToString()).ToList();
        Assert.Contains(problems, p => p.StartsWith("model.safetensors: checksum mismatch", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("tokenizer.json: size 2, the manifest lists", StringComparison.Ordinal));
        Assert.Contains("notes.txt: not listed in the manifest", problems);
        Assert.Contains("extra.json: is a symbolic link", problems);
        Assert.Equal(4, problems.Count);
        Assert.True(Assert.Single(await h.Repository.VerifyAsync(0, false, false, None)).Ok);
    }

    [ToolFact("mkfifo")]
    public async Task Verification_does_not_hang_on_a_fifo_planted_in_place_of_a_file()
    {
        using var dir = new TempDir();
        var h = await CheckpointHarness.CreateAsync(dir);
        await h.RegisterBaseAsync();
        var tokenizer = Path.Combine(h.Local.VersionDirectory(0), "tokenizer.json");
        File.Delete(tokenizer);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [tokenizer])) await mkfifo.WaitForExitAsync();

        // On a thread of its own, so that a blocking open would fail the test instead of hanging it.
        var checks = await Task.Run(() => h.Repository.VerifyAsync(0, false, false, None)).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal("tokenizer.json: not a regular file", Assert.Single(checks).Problems.Single().ToString());
    }

    [Fact]
    public async Task Loading_a_damaged_version_without_a_storage_host_is_refused_naming_the_file()
    {
        using var dir = new TempDir();
        var h = await CheckpointHarness.CreateAsync(dir);
        await h.RegisterBaseAsync();
        await h.PublishAsync(11);
        CheckpointHarness.FlipByte(Path.Combine(h.Local.VersionDirectory(1), "model.safetensors"));

        var error = await Assert.ThrowsAsync<CheckpointException>(() => h.Repository.LoadAsync(1, None));

        Assert.StartsWith("v1 (local): 1 problem: model.safetensors: checksum mismatch", error.Message);
        Assert.EndsWith("no storage host is configured to restore it from; refusing to load v1", error.Message);
    }

    [Fact]
    public async Task A_rewritten_manifest_is_not_trusted_even_with_a_matching_checksum_file()
    {
        using var dir = new TempDir();
        var h = await CheckpointHarness.CreateAsync(dir);
        await h.RegisterBaseAsync();
        await h.PublishAsync(11);
        var v1 = h.Local.VersionDirectory(1);
        var forged = File.ReadAllText(Path.Combine(v1, "manifest.json")).Replace("run-staging-1", "run-forged");
        File.WriteAllText(Path.Combine(v1, "manifest.json"), forged);
        File.WriteAllText(Path.Combine(v1, "manifest.sha256"), $"{CheckpointHarness.Sha256(Path.Combine(v1, "manifest.json"))}  manifest.json\n");

        var check = Assert.Single(await h.Repository.VerifyAsync(1, false, false, None));

        Assert.Equal("manifest.json: checksum mismatch: the state database records", check.Problems.Single().ToString()[..60]);
    }

    [Fact]
    public async Task A_failed_post_publish_check_rolls_back_to_the_previous_version_and_records_why()
    {
        using var dir = new TempDir();
        var check = new FakePostPublishCheck(factor: 1.01);
        var h = await CheckpointHarness.CreateAsync(dir, check: check);
        await h.RegisterBaseAsync();

        var result = await h.PublishAsync(11.5);

        Assert.False(result.Accepted);
        Assert.Equal((1, 0), (result.Version, result.Current));
        Assert.Contains("general perplexity 11.615 after reloading from the store, 11.5 when evaluated (relative difference 1.00E-002, allowed 1E-003)", result.RolledBackBecause);
        Assert.Equal(0, h.Local.ReadCurrent());
        Assert.Equal(1, Assert.Single(check.Loaded).Version);
        Assert.Equal(h.Local.VersionDirectory(1), check.Loaded[0].Directory);
        Assert.Equal(result.RolledBackBecause, (await h.Repository.ListAsync(None)).Single(v => v.Number == 1).Rejected);
        var rollback = Assert.Single(await h.Repository.Ledger.RollbacksAsync(10, None));
        Assert.Equal((1, 0, RollbackReason.PostPublishCheck, CheckpointRepository.DaemonActor), (rollback.From!.Value, rollback.To, rollback.Reason, rollback.Who));
        Assert.Equal(1, h.Metric("continual_trainer_rollbacks_total{reason=\"post_publish_check\"}"));
        Assert.Equal(0, h.Metric("continual_trainer_checkpoint_current_version"));
    }

    [Fact]
    public async Task A_post_publish_check_within_tolerance_keeps_the_new_version()
    {
        using var dir = new TempDir();
        var h = await CheckpointHarness.CreateAsync(dir, check: new FakePostPublishCheck(factor: 1 + 5e-4));
        await h.RegisterBaseAsync();

        var result = await h.PublishAsync(11.5);

        Assert.True(result.Accepted);
        Assert.Equal(1, h.Local.ReadCurrent());
        Assert.Empty(await h.Repository.Ledger.RollbacksAsync(10, None));
    }

    [Fact]
    public async Task A_manual_rollback_records_who_and_why_and_the_metrics_see_it()
    {
        using var dir = new TempDir();
        var h = await CheckpointHarness.CreateAsync(dir);
        await h.RegisterBaseAsync();
        await h.PublishAsync(12);
        await h.PublishAsync(11);

        // Another process (the CLI) rolls back; the daemon's metrics read it from the database.
        var record = await h.Reopen().RollbackAsync(1, "alice", "answers got worse", None);
        await h.Repository.RefreshMetricsAsync(None);

        Assert.Equal((2, 1, "manual", "alice", "answers got worse"), (record.From!.Value, record.To, record.Reason, record.Who, record.Why));
        Assert.Equal(1, h.Local.ReadCurrent());
        Assert.Equal((1, 2L, "rollback"), (await PublicationsAsync(h))[^1]);
        Assert.Equal(1, h.Metric("continual_trainer_rollbacks_total{reason=\"manual\"}"));
        Assert.Equal(1, h.Metric("continual_trainer_checkpoint_current_version"));
        var again = await Assert.ThrowsAsync<CheckpointException>(() => h.Repository.RollbackAsync(1, "alice", "again", None));
        Assert.Equal("v1 is already current", again.Message);
        var unknown = await Assert.ThrowsAsync<CheckpointException>(() => h.Repository.RollbackAsync(9, "alice", "typo", None));
        Assert.StartsWith("v9 is not a recorded version", unknown.Message);
    }

    [Fact]
    public async Task Start_up_serves_current_when_it_verifies()
    {
        using var dir = new TempDir();
        var h = await CheckpointHarness.CreateAsync(dir);
        await h.RegisterBaseAsync();
        await h.PublishAsync(12);

        var result = await h.Reopen().StartupAsync(None);

        Assert.Equal((1, (int?)null, (string?)null), (result.Serving!.Version, result.FellBackFrom, result.FallbackReason));
    }

    [Fact]
    public async Task Start_up_falls_back_loudly_to_the_newest_older_version_that_verifies()
    {
        using var dir = new TempDir();
        var h = await CheckpointHarness.CreateAsync(dir);
        await h.RegisterBaseAsync();
        await h.PublishAsync(12);
        await h.PublishAsync(11);
        await h.PublishAsync(10);
        CheckpointHarness.FlipByte(Path.Combine(h.Local.VersionDirectory(3), "model.safetensors"));
        File.Delete(Path.Combine(h.Local.VersionDirectory(2), "config.json"));

        var result = await h.Reopen().StartupAsync(None);
        await h.Repository.RefreshMetricsAsync(None);

        Assert.Equal((1, 3), (result.Serving!.Version, result.FellBackFrom!.Value));
        Assert.StartsWith("current v3 failed verification: v3 (local): 1 problem: model.safetensors: checksum mismatch", result.FallbackReason);
        Assert.Equal(1, h.Local.ReadCurrent());
        var rollback = Assert.Single(await h.Repository.Ledger.RollbacksAsync(10, None));
        Assert.Equal((3, 1, RollbackReason.StartupFallback, result.FallbackReason), (rollback.From!.Value, rollback.To, rollback.Reason, rollback.Why));
        Assert.Equal(1, h.Metric("continual_trainer_rollbacks_total{reason=\"startup_fallback\"}"));
    }

    [Fact]
    public async Task Start_up_refuses_when_no_version_verifies()
    {
        using var dir = new TempDir();
        var h = await CheckpointHarness.CreateAsync(dir);
        await h.RegisterBaseAsync();
        await h.PublishAsync(12);
        foreach (var v in new[] { 0, 1 }) CheckpointHarness.FlipByte(Path.Combine(h.Local.VersionDirectory(v), "model.safetensors"));

        var error = await Assert.ThrowsAsync<CheckpointException>(() => h.Reopen().StartupAsync(None));

        Assert.StartsWith("no checkpoint version verifies: v1 (local): 1 problem: model.safetensors: checksum mismatch", error.Message);
        Assert.Contains("; v0 (local): 1 problem: model.safetensors", error.Message);
        Assert.Equal(1, h.Local.ReadCurrent());
    }

    [Fact]
    public async Task A_crash_mid_publication_leaves_the_previous_version_current()
    {
        using var dir = new TempDir();
        var h = await CheckpointHarness.CreateAsync(dir);
        await h.RegisterBaseAsync();
        await h.PublishAsync(12);
        // What a crash can leave: a half-copied staging folder, and a complete v2 renamed into place
        // whose database transaction (and the move of current) never happened.
        Directory.CreateDirectory(Path.Combine(h.Local.Root, ".staging", "v2.0123456789ab"));
        File.WriteAllBytes(Path.Combine(h.Local.Root, ".staging", "v2.0123456789ab", "model.safetensors"), new byte[100]);
        using (var other = new TempDir())
        {
            var elsewhere = await CheckpointHarness.CreateAsync(other);
            await elsewhere.RegisterBaseAsync();
            await elsewhere.PublishAsync(12);
            await elsewhere.PublishAsync(11);
            CopyDirectory(elsewhere.Local.VersionDirectory(2), h.Local.VersionDirectory(2));
        }

        var restarted = h.Reopen();
        var result = await restarted.StartupAsync(None);

        Assert.Equal(1, result.Serving!.Version);
        Assert.Equal(1, h.Local.ReadCurrent());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(h.Local.Root, ".staging")));
        Assert.StartsWith("found on disk without a publication record", (await restarted.ListAsync(None)).Single(v => v.Number == 2).Rejected);
        Assert.Equal(3, (await h.PublishAsync(10)).Version);
    }

    [Fact]
    public async Task Pruning_keeps_v0_current_the_last_N_every_Kth_and_the_best_and_runs_after_every_publication()
    {
        using var dir = new TempDir();
        var h = await CheckpointHarness.CreateAsync(dir, keepLast: 2, keepEvery: 3);
        await h.RegisterBaseAsync();
        foreach (var perplexity in new[] { 15, 9, 14, 13, 12, 12.5, 12.2 }) await h.PublishAsync(perplexity);

        Assert.Equal([0, 2, 3, 6, 7], h.Local.ListVersions());
        var rows = await h.Repository.ListAsync(None);
        Assert.Equal([1, 4, 5], rows.Where(r => r.PrunedUtc is not null).Select(r => r.Number));

        await h.Repository.RollbackAsync(3, "bob", "regression", None);
        var dry = await h.Repository.PruneAsync(dryRun: true, None);
        Assert.Equal([0, 2, 3, 6, 7], dry.Decisions.Where(d => d.Keep).Select(d => d.Version));
        Assert.Contains("current", dry.Decisions.Single(d => d.Version == 3).KeptBecause);
        Assert.Contains("best general perplexity (9)", dry.Decisions.Single(d => d.Version == 2).KeptBecause);
        var loaded = await Assert.ThrowsAsync<CheckpointException>(() => h.Repository.LoadAsync(4, None));
        Assert.StartsWith("v4 was pruned at ", loaded.Message);
    }

    private static async Task<List<(int Version, long? Previous, string Cause)>> PublicationsAsync(CheckpointHarness h)
    {
        await using var connection = await h.Database.OpenAsync(None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT version, previous, cause FROM checkpoint_publications WHERE store = 'local' ORDER BY id";
        await using var reader = await command.ExecuteReaderAsync();
        var list = new List<(int, long?, string)>();
        while (await reader.ReadAsync()) list.Add((reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.GetString(2)));
        return list;
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
