using System.Diagnostics;
using ContinualTrainer.Checkpoints;
using ContinualTrainer.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace ContinualTrainer.Tests.Checkpoints;

/// <summary>The storage host for real: Debian's sshd started by each test on a loopback port, files going through ssh and rsync.</summary>
public sealed class SshStoreTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private sealed record Setup(TempDir Dir, SshServer Server, CheckpointHarness Harness, CheckpointUploader Uploader, string RemoteRoot) : IDisposable
    {
        public CheckpointRepository Repository => Harness.Repository;
        public string Remote(string relative) => Path.Combine(RemoteRoot, relative);

        public void Dispose()
        {
            Server.Dispose();
            Dir.Dispose();
        }
    }

    private static async Task<Setup> SetUpAsync(int keepLast = 5, int bandwidthLimitKiBps = 0, Func<SshServer, TempDir, string>? knownHosts = null)
    {
        var dir = new TempDir();
        var server = await SshServer.CreateAsync(dir.File("sshd"));
        var remoteRoot = dir.File("storage-host/checkpoints");
        var options = server.Options(remoteRoot, bandwidthLimitKiBps);
        if (knownHosts is not null) options = options with { KnownHostsFile = knownHosts(server, dir) };
        var harness = await CheckpointHarness.CreateAsync(dir, options, keepLast: keepLast, keepEvery: 0);
        var uploader = new CheckpointUploader(harness.Repository, harness.Repository.Remote!, NullLogger<CheckpointUploader>.Instance, harness.Metrics);
        return new Setup(dir, server, harness, uploader, remoteRoot);
    }

    [SshdFact]
    public async Task Uploads_verify_every_checksum_on_the_host_before_the_hosts_current_moves()
    {
        using var s = await SetUpAsync();
        await s.Harness.RegisterBaseAsync();
        await s.Harness.PublishAsync(12);
        Assert.Equal(2, (await s.Repository.Ledger.BacklogAsync(None)).Versions);

        var retryAt = await s.Uploader.RunOnceAsync(None);

        Assert.Null(retryAt);
        AssertSameFiles(s.Harness.Local.VersionDirectory(0), s.Remote("v0"));
        AssertSameFiles(s.Harness.Local.VersionDirectory(1), s.Remote("v1"));
        Assert.Equal("v1\n", File.ReadAllText(s.Remote("current")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(s.Remote(".incoming")));
        Assert.All(await s.Repository.ListAsync(None), v => Assert.Equal(new UploadStatus(UploadState.Verified, 1, null, null), v.Upload));
        Assert.Equal(new UploadBacklog(0, 0), await s.Repository.Ledger.BacklogAsync(None));
        Assert.Equal(2, s.Harness.Metric("continual_trainer_checkpoint_uploads_total{result=\"verified\"}"));
        Assert.Equal(0, s.Harness.Metric("continual_trainer_checkpoint_backlog_bytes"));
        Assert.All(await s.Repository.VerifyAsync(null, includeRemote: true, repair: false, None), c => Assert.True(c.Ok, c.Summary()));
    }

    [SshdFact]
    public async Task The_host_going_down_mid_upload_is_retried_with_backoff_and_the_upload_completes_when_it_returns()
    {
        using var s = await SetUpAsync(bandwidthLimitKiBps: 256);
        await s.Harness.RegisterBaseAsync();
        var worker = new UploadWorker(s.Repository, s.Uploader, NullLogger<UploadWorker>.Instance);
        await worker.StartAsync(None);
        try
        {
            await WaitForAsync("v0 uploaded", async () => (await s.Repository.Ledger.GetAsync(0, None))?.Upload?.State == UploadState.Verified);
            await s.Harness.PublishAsync(12, vocab: 6144);
            var bytes = (await s.Repository.Ledger.GetAsync(1, None))!.Bytes;

            await WaitForAsync("part of v1 on the host", () => Task.FromResult(
                Directory.Exists(s.Remote(".incoming")) && Directory.EnumerateFiles(s.Remote(".incoming"), "*", SearchOption.AllDirectories).Any(f => new FileInfo(f).Length > 0)));
            s.Server.Stop();
            await WaitForAsync("retries while the host is down", async () => (await s.Repository.Ledger.GetAsync(1, None))!.Upload is { State: UploadState.Failed, Attempts: >= 3 });

            var down = (await s.Repository.Ledger.GetAsync(1, None))!.Upload!;
            Assert.Contains("storage host", down.LastError);
            Assert.True(File.Exists(Path.Combine(s.Harness.Local.VersionDirectory(1), "model.safetensors")), "the local copy is kept");
            Assert.Equal(new UploadBacklog(1, bytes), (await CheckpointStatus.ReadAsync(s.Harness.Database, s.Harness.Options, None)).UploadBacklog);
            Assert.Equal(bytes, s.Harness.Metric("continual_trainer_checkpoint_backlog_bytes"));
            Assert.Equal("v0\n", File.ReadAllText(s.Remote("current")));
            Assert.False(Directory.Exists(s.Remote("v1")));

            await s.Server.StartAsync();
            await WaitForAsync("v1 uploaded after the host came back", async () => (await s.Repository.Ledger.GetAsync(1, None))?.Upload?.State == UploadState.Verified);
            await WaitForAsync("the host's current moved", () => Task.FromResult(File.ReadAllText(s.Remote("current")) == "v1\n"));
        }
        finally
        {
            await worker.StopAsync(None);
        }
        AssertSameFiles(s.Harness.Local.VersionDirectory(1), s.Remote("v1"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(s.Remote(".incoming")));
        Assert.True(s.Harness.Metric("continual_trainer_checkpoint_uploads_total{result=\"failed\"}") >= 3);
        Assert.Equal(0, s.Harness.Metric("continual_trainer_checkpoint_backlog_bytes"));
    }

    [SshdFact]
    public async Task An_upload_damaged_in_transit_is_deleted_on_the_host_and_never_moved_into_place()
    {
        using var s = await SetUpAsync();
        await s.Harness.RegisterBaseAsync();
        await s.Harness.PublishAsync(12);
        var remote = s.Repository.Remote!;
        var row = (await s.Repository.Ledger.GetAsync(1, None))!;
        var manifest = await s.Repository.ReadManifestAsync(1, None);
        var incoming = SshCheckpointStore.NewIncomingName(1);

        Assert.False(await remote.PrepareUploadAsync(1, incoming, manifest, row.ManifestSha256, None));
        await remote.UploadAsync(s.Harness.Local.VersionDirectory(1), incoming, None);
        CheckpointHarness.FlipByte(s.Remote($".incoming/{incoming}/model.safetensors"));
        var problem = await remote.FinishUploadAsync(1, incoming, manifest, row.ManifestSha256, makeCurrent: true, None);

        Assert.StartsWith("model.safetensors: FAILED", problem);
        Assert.False(Directory.Exists(s.Remote($".incoming/{incoming}")));
        Assert.False(Directory.Exists(s.Remote("v1")));
        Assert.False(File.Exists(s.Remote("current")));

        Assert.Null(await s.Uploader.RunOnceAsync(None));
        AssertSameFiles(s.Harness.Local.VersionDirectory(1), s.Remote("v1"));
        Assert.Equal("v1\n", File.ReadAllText(s.Remote("current")));
    }

    [SshdFact]
    public async Task A_corrupted_file_on_the_host_is_reported_and_uploaded_again()
    {
        using var s = await SetUpAsync();
        await s.Harness.RegisterBaseAsync();
        await s.Harness.PublishAsync(12);
        await s.Uploader.RunOnceAsync(None);
        CheckpointHarness.FlipByte(s.Remote("v1/model.safetensors"));

        var found = await s.Repository.VerifyAsync(1, includeRemote: true, repair: false, None);
        Assert.Equal([(VersionCheck.LocalStore, true), (VersionCheck.SshStore, false)], found.Select(c => (c.Store, c.Ok)));
        Assert.StartsWith("model.safetensors: checksum mismatch", found[1].Problems.Single().ToString());

        var repaired = await s.Repository.VerifyAsync(1, includeRemote: true, repair: true, None);
        Assert.Equal("queued for upload again", repaired[1].Problems[^1].ToString());
        Assert.Equal(UploadState.Pending, (await s.Repository.Ledger.GetAsync(1, None))!.Upload!.State);
        await s.Uploader.RunOnceAsync(None);

        AssertSameFiles(s.Harness.Local.VersionDirectory(1), s.Remote("v1"));
        Assert.All(await s.Repository.VerifyAsync(1, includeRemote: true, repair: false, None), c => Assert.True(c.Ok, c.Summary()));
    }

    [SshdFact]
    public async Task A_damaged_local_copy_is_restored_from_the_host_when_loading()
    {
        using var s = await SetUpAsync();
        await s.Harness.RegisterBaseAsync();
        await s.Harness.PublishAsync(12);
        await s.Uploader.RunOnceAsync(None);
        var v1 = s.Harness.Local.VersionDirectory(1);
        CheckpointHarness.FlipByte(Path.Combine(v1, "model.safetensors"));
        File.Delete(Path.Combine(v1, "tokenizer.json"));
        File.WriteAllText(Path.Combine(v1, ".stray"), "left behind");
        File.CreateSymbolicLink(Path.Combine(v1, "generation_config.json"), "/etc/hostname");

        var loaded = await s.Repository.LoadAsync(1, None);

        Assert.Equal(v1, loaded.Directory);
        AssertSameFiles(v1, s.Remote("v1"));

        Directory.Delete(v1, recursive: true);
        await s.Repository.LoadAsync(1, None);
        AssertSameFiles(v1, s.Remote("v1"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(s.Harness.Local.Root, ".staging")));
    }

    [SshdFact]
    public async Task Loading_is_refused_when_the_hosts_copy_is_damaged_too_or_the_host_is_down()
    {
        using var s = await SetUpAsync();
        await s.Harness.RegisterBaseAsync();
        await s.Harness.PublishAsync(12);
        await s.Uploader.RunOnceAsync(None);
        CheckpointHarness.FlipByte(Path.Combine(s.Harness.Local.VersionDirectory(1), "model.safetensors"));
        CheckpointHarness.FlipByte(s.Remote("v1/model.safetensors"));

        var damaged = await Assert.ThrowsAsync<CheckpointException>(() => s.Repository.LoadAsync(1, None));
        Assert.StartsWith("v1 (local): 1 problem: model.safetensors: checksum mismatch", damaged.Message);
        Assert.Contains("restoring from the storage host failed: the storage host's copy of v1/model.safetensors is damaged too; refusing to load v1", damaged.Message);

        s.Server.Stop();
        var down = await Assert.ThrowsAsync<CheckpointException>(() => s.Repository.LoadAsync(1, None));
        Assert.Contains("restoring from the storage host failed: storage host ", down.Message);
        Assert.EndsWith("refusing to load v1", down.Message);
    }

    [SshdFact]
    public async Task A_rollback_moves_current_here_at_once_and_on_the_host_at_the_next_pass()
    {
        using var s = await SetUpAsync();
        await s.Harness.RegisterBaseAsync();
        await s.Harness.PublishAsync(12);
        await s.Harness.PublishAsync(11);
        await s.Uploader.RunOnceAsync(None);
        Assert.Equal("v2\n", File.ReadAllText(s.Remote("current")));

        await s.Repository.RollbackAsync(1, "alice", "worse answers", None);
        Assert.Equal(1, s.Harness.Local.ReadCurrent());
        Assert.Equal("v2\n", File.ReadAllText(s.Remote("current")));

        await s.Uploader.RunOnceAsync(None);
        Assert.Equal("v1\n", File.ReadAllText(s.Remote("current")));
        Assert.Equal(1, await s.Repository.Ledger.RemoteCurrentAsync(None));
    }

    [SshdFact]
    public async Task Pruning_deletes_the_hosts_copies_too_but_never_a_version_the_host_lacks()
    {
        using var s = await SetUpAsync(keepLast: 1);
        await s.Harness.RegisterBaseAsync();
        await s.Harness.PublishAsync(12);
        await s.Harness.PublishAsync(11);
        Assert.Equal([0, 1, 2], s.Harness.Local.ListVersions());

        await s.Uploader.RunOnceAsync(None);
        var result = await s.Repository.PruneAsync(dryRun: false, None);

        Assert.Equal([1], result.Deleted);
        Assert.Empty(result.RemoteDeletePending);
        Assert.Equal([0, 2], s.Harness.Local.ListVersions());
        Assert.False(Directory.Exists(s.Remote("v1")));
        Assert.True(Directory.Exists(s.Remote("v2")));
    }

    [SshdFact]
    public async Task A_host_with_an_unknown_key_is_refused()
    {
        using var s = await SetUpAsync(knownHosts: (server, dir) => dir.Write("wrong_known_hosts",
            $"[127.0.0.1]:{server.Port} {string.Join(' ', File.ReadAllText(server.ClientKey + ".pub").Split(' ').Take(2))}\n"));
        await s.Harness.RegisterBaseAsync();

        var retryAt = await s.Uploader.RunOnceAsync(None);

        Assert.NotNull(retryAt);
        var upload = (await s.Repository.Ledger.GetAsync(0, None))!.Upload!;
        Assert.Equal(UploadState.Failed, upload.State);
        Assert.Contains("Host key verification failed", upload.LastError);
        Assert.False(Directory.Exists(s.RemoteRoot));
    }

    private static void AssertSameFiles(string local, string remote)
    {
        static Dictionary<string, string> Hashes(string root) => Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), CheckpointHarness.Sha256);
        var expected = Hashes(local);
        Assert.NotEmpty(expected);
        Assert.Equal(expected.OrderBy(p => p.Key), Hashes(remote).OrderBy(p => p.Key));
    }

    private static async Task WaitForAsync(string what, Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > Patience) throw new TimeoutException($"gave up waiting for: {what}");
            await Task.Delay(20);
        }
    }
}
