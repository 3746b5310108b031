using System.Globalization;
using ContinualTrainer.Configuration;
using ContinualTrainer.Engine;
using Microsoft.Extensions.Logging;

namespace ContinualTrainer.Checkpoints;

/// <summary>
/// The model versions: registers the base model as v0, publishes accepted runs as v1, v2, ... (files copied into
/// a staging directory, every checksum verified there, one rename into place, <c>current</c> moved last), loads
/// versions verified — fetching damaged or missing files from the storage host — rolls back by hand or when the
/// post-publish check fails, falls back at start-up when <c>current</c> does not verify, and prunes by the
/// retention policy. Every change is recorded in the state database in the transaction that moves <c>current</c>.
/// Changes take the store lock (<see cref="StoreLock"/>), so the daemon and the CLI can share a store.
/// </summary>
public sealed partial class CheckpointRepository
{
    /// <summary>How far (relative) the re-measured general perplexity may be from the evaluated one.</summary>
    public const double PostPublishTolerance = 1e-3;

    /// <summary>Who automatic rollbacks are recorded as.</summary>
    public const string DaemonActor = "continual-trainer";

    private static readonly TimeSpan LockWait = TimeSpan.FromMinutes(2);

    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly CheckpointMetrics? metrics;
    private readonly IPostPublishCheck? postPublishCheck;
    private readonly ILogger logger;

    public CheckpointRepository(
        CheckpointsOptions options,
        CheckpointLedger ledger,
        SshCheckpointStore? remote,
        ILogger<CheckpointRepository> logger,
        CheckpointMetrics? metrics = null,
        IPostPublishCheck? postPublishCheck = null)
    {
        Local = new LocalCheckpointStore(options.Local);
        Ledger = ledger;
        Remote = remote;
        Retention = new RetentionPolicy(options.KeepLast, options.KeepEvery);
        this.logger = logger;
        this.metrics = metrics;
        this.postPublishCheck = postPublishCheck;
    }

    public LocalCheckpointStore Local { get; }
    public CheckpointLedger Ledger { get; }
    public SshCheckpointStore? Remote { get; }
    public RetentionPolicy Retention { get; }

    /// <summary>Raised after a version was added or <c>current</c> moved (the upload worker wakes up).</summary>
    public event Action? Changed;

    /// <summary>
    /// Copies the base model's files (configuration, tokenizer, safetensors weights and index; never pickles or
    /// code) from <paramref name="modelDirectory"/> into the store as v0 and makes it current when nothing is.
    /// When v0 exists already it is returned as recorded.
    /// </summary>
    public async Task<CheckpointVersion> RegisterBaseAsync(string modelDirectory, CancellationToken cancellationToken)
    {
        var source = Path.GetFullPath(modelDirectory);
        var version = await ExclusiveAsync(async () =>
        {
            await ReconcileLockedAsync(cancellationToken);
            if (await Ledger.GetAsync(0, cancellationToken) is { } existing) return existing;

            var where = $"base model {source}";
            if (!Directory.Exists(source)) throw new CheckpointException($"{where}: no such folder");
            var files = Directory.EnumerateFiles(source).Select(Path.GetFileName).OfType<string>()
                .Where(CheckpointFiles.BelongsToBaseModel).Order(StringComparer.Ordinal).ToList();
            CheckpointFiles.Check(CheckpointKind.Base, source, files, where);
            var (manifest, sha) = await StageAndPromoteAsync(0, source, files, f => f with { Kind = CheckpointKind.Base, Source = source }, cancellationToken);
            var hasCurrent = Local.ReadCurrent() is not null;
            await Ledger.InTransactionAsync(async (connection, transaction, ct) =>
            {
                await CheckpointLedger.InsertVersionAsync(connection, transaction, manifest, sha, null, ct);
                if (Remote is not null) await CheckpointLedger.QueueUploadAsync(connection, transaction, 0, manifest.TotalBytes, ct);
                if (!hasCurrent)
                {
                    await CheckpointLedger.RecordPublicationAsync(connection, transaction, VersionCheck.LocalStore, 0, null, "base", ct);
                    Local.WriteCurrent(0);
                }
                return 0;
            }, cancellationToken);
            LogBaseRegistered(logger, source, manifest.Files.Count, manifest.TotalBytes);
            return (await Ledger.GetAsync(0, cancellationToken))!;
        }, cancellationToken);
        var recordedSource = (await ReadRecordedManifestAsync(0, cancellationToken))?.Source;
        if (recordedSource is not null && recordedSource != source) LogBaseDiffers(logger, source, recordedSource);
        await AfterChangeAsync(cancellationToken);
        return version;
    }

    /// <summary>
    /// Publishes an accepted run as the next version: checks and copies the staged files, writes and verifies the
    /// manifest, renames the version into place and moves <c>current</c> — then runs the post-publish check (when
    /// one is configured) and rolls back automatically if it fails, then prunes by the retention policy.
    /// </summary>
    public async Task<PublishResult> PublishAsync(PublishRequest request, CancellationToken cancellationToken)
    {
        var files = CheckRequest(request);
        var (number, previous) = await ExclusiveAsync(async () =>
        {
            var current = Local.ReadCurrent() ?? throw new CheckpointException($"{Local.Root}: there is no current version to publish on top of; register the base model (v0) first");
            var parent = request.Parent ?? current;
            var parentRow = await Ledger.GetAsync(parent, cancellationToken);
            if (parentRow is null || parentRow.PrunedUtc is not null)
                throw new CheckpointException($"publish: parent {VersionName.Format(parent)} is not a stored version");
            var rows = await Ledger.ListAsync(cancellationToken);
            var number = Math.Max(rows.Count == 0 ? 0 : rows.Max(r => r.Number), Local.ListVersions().DefaultIfEmpty(0).Max()) + 1;
            var (manifest, sha) = await StageAndPromoteAsync(number, request.StagingDirectory, files, m => m with
            {
                Kind = request.Kind,
                Parent = VersionName.Format(parent),
                RunId = request.RunId,
                DatasetSnapshotId = request.DatasetSnapshotId,
                ConfigHash = request.ConfigHash,
                EvaluationBefore = request.EvaluationBefore,
                EvaluationAfter = request.EvaluationAfter,
                GuardDecision = request.GuardDecision,
            }, cancellationToken);
            await Ledger.InTransactionAsync(async (connection, transaction, ct) =>
            {
                await CheckpointLedger.InsertVersionAsync(connection, transaction, manifest, sha, null, ct);
                if (Remote is not null) await CheckpointLedger.QueueUploadAsync(connection, transaction, number, manifest.TotalBytes, ct);
                await CheckpointLedger.RecordPublicationAsync(connection, transaction, VersionCheck.LocalStore, number, current, "publish", ct);
                Local.WriteCurrent(number);
                return 0;
            }, cancellationToken);
            LogPublished(logger, VersionName.Format(number), VersionName.Format(parent), request.RunId, manifest.TotalBytes);
            return (number, current);
        }, cancellationToken);
        await AfterChangeAsync(cancellationToken);

        if (await PostPublishProblemAsync(number, request.EvaluationAfter.GeneralPerplexity, cancellationToken) is { } problem)
        {
            var rolledBack = await ExclusiveAsync(async () =>
            {
                // A rollback made meanwhile (by hand) already moved current away; leave it.
                if (Local.ReadCurrent() != number) return false;
                await RollbackLockedAsync(number, previous, RollbackReason.PostPublishCheck, DaemonActor, problem, rejected: number, cancellationToken);
                return true;
            }, cancellationToken);
            await AfterChangeAsync(cancellationToken);
            return new PublishResult(number, rolledBack ? previous : Local.ReadCurrent() ?? previous, problem);
        }
        try
        {
            await PruneAsync(dryRun: false, cancellationToken);
        }
        catch (CheckpointException e)
        {
            LogPruneFailed(logger, e.Message);
        }
        return new PublishResult(number, number, null);
    }

    /// <summary>
    /// Version <paramref name="version"/> with every file verified in the local store; damaged or missing files
    /// (or the whole version) are fetched from the storage host when its copy is intact, otherwise the load is
    /// refused with a <see cref="CheckpointException"/>. A LoRA adapter without merged weights comes with its parent chain.
    /// </summary>
    public async Task<LoadedVersion> LoadAsync(int version, CancellationToken cancellationToken)
    {
        var row = await RecordedAsync(version, cancellationToken);
        var check = await Local.VerifyAsync(version, row.ManifestSha256, cancellationToken);
        if (!check.Ok)
        {
            LogDamaged(logger, check.Summary());
            if (Remote is null)
                throw new CheckpointException($"{check.Summary()}; no storage host is configured to restore it from; refusing to load {row.Name}");
            check = await ExclusiveAsync(() => RepairLockedAsync(row, cancellationToken), cancellationToken);
        }
        var parent = row.SelfContained ? null : await LoadAsync(row.Parent!.Value, cancellationToken);
        return new LoadedVersion(version, Local.VersionDirectory(version), check.Manifest!, parent);
    }

    /// <summary>Makes <paramref name="version"/> current again (after verifying it), recording who did it and why.</summary>
    public async Task<RollbackRecord> RollbackAsync(int version, string who, string why, CancellationToken cancellationToken)
    {
        CheckText(who, "who");
        CheckText(why, "why");
        await LoadAsync(version, cancellationToken);
        var record = await ExclusiveAsync(async () =>
        {
            var current = Local.ReadCurrent();
            if (current == version) throw new CheckpointException($"{VersionName.Format(version)} is already current");
            return await RollbackLockedAsync(current, version, RollbackReason.Manual, who, why, rejected: null, cancellationToken);
        }, cancellationToken);
        await AfterChangeAsync(cancellationToken);
        return record;
    }

    /// <summary>
    /// Verifies one version (or every stored one) in the local store and, when <paramref name="includeRemote"/>,
    /// on the storage host. With <paramref name="repair"/>, damaged local files are restored from the host and
    /// damaged host copies are queued for upload again.
    /// </summary>
    public async Task<IReadOnlyList<VersionCheck>> VerifyAsync(int? version, bool includeRemote, bool repair, CancellationToken cancellationToken)
    {
        var rows = version is { } v ? [await RecordedAsync(v, cancellationToken)] : (await Ledger.ListAsync(cancellationToken)).Where(r => r.PrunedUtc is null).ToList();
        var results = new List<VersionCheck>();
        string? unreachable = null;
        foreach (var row in rows)
        {
            var local = await Local.VerifyAsync(row.Number, row.ManifestSha256, cancellationToken);
            if (!local.Ok && repair && Remote is not null)
            {
                try
                {
                    local = await ExclusiveAsync(() => RepairLockedAsync(row, cancellationToken), cancellationToken);
                }
                catch (CheckpointException e)
                {
                    local = local with { Problems = [.. local.Problems, new FileProblem(".", "not repaired: " + e.Message)] };
                }
            }
            results.Add(local);
            if (!includeRemote || Remote is null) continue;
            if (row.Upload?.State != UploadState.Verified)
            {
                var state = row.Upload is null ? "not queued" : $"{row.Upload.State.ToString().ToLowerInvariant()}, {row.Upload.Attempts} attempt(s)";
                results.Add(new VersionCheck(row.Number, VersionCheck.SshStore, null, []) { Note = $"not uploaded yet ({state})" });
                continue;
            }
            if (unreachable is not null)
            {
                results.Add(new VersionCheck(row.Number, VersionCheck.SshStore, null, [new FileProblem(".", unreachable)]));
                continue;
            }
            try
            {
                var remote = await CheckRemoteAsync(row, local.Manifest, cancellationToken);
                if (!remote.Ok && repair)
                {
                    await Ledger.InTransactionAsync(async (connection, transaction, ct) =>
                    {
                        await CheckpointLedger.QueueUploadAsync(connection, transaction, row.Number, row.Bytes, ct);
                        return 0;
                    }, cancellationToken);
                    remote = remote with { Problems = [.. remote.Problems, new FileProblem(".", "queued for upload again")] };
                }
                results.Add(remote);
            }
            catch (CheckpointException e)
            {
                if (e.HostUnreachable) unreachable = e.Message;
                results.Add(new VersionCheck(row.Number, VersionCheck.SshStore, null, [new FileProblem(".", e.Message)]));
            }
        }
        if (repair) await AfterChangeAsync(cancellationToken);
        return results;
    }

    /// <summary>
    /// Deletes the versions the retention policy does not keep (never v0, <c>current</c>, or a version not yet
    /// verified on the storage host) from the local store and then from the host; with <paramref name="dryRun"/>
    /// only decides.
    /// </summary>
    public async Task<PruneResult> PruneAsync(bool dryRun, CancellationToken cancellationToken)
    {
        var (decisions, deleted) = await ExclusiveAsync(async () =>
        {
            var current = Local.ReadCurrent();
            var rows = (await Ledger.ListAsync(cancellationToken)).Where(r => r.PrunedUtc is null).ToList();
            var decisions = Retention.Decide(rows.Select(r => new RetentionCandidate(
                r.Number, r.Parent, r.SelfContained, r.GeneralPerplexity, r.Rejected is not null,
                Remote is not null && r.Upload?.State != UploadState.Verified)).ToList(), current);
            var deleted = new List<int>();
            if (dryRun) return (decisions, deleted);
            foreach (var decision in decisions.Where(d => !d.Keep))
            {
                var row = rows.Single(r => r.Number == decision.Version);
                await Ledger.InTransactionAsync(async (connection, transaction, ct) =>
                {
                    await CheckpointLedger.MarkPrunedAsync(connection, transaction, row.Number, Remote is not null && row.Upload is not null, ct);
                    Local.Delete(Local.VersionDirectory(row.Number));
                    return 0;
                }, cancellationToken);
                deleted.Add(row.Number);
                LogPruned(logger, row.Name);
            }
            return (decisions, deleted);
        }, cancellationToken);
        var pending = dryRun ? [] : await DeleteRemoteCopiesAsync(cancellationToken);
        if (deleted.Count > 0) await AfterChangeAsync(cancellationToken);
        return new PruneResult(decisions, deleted, pending, dryRun);
    }

    /// <summary>Deletes from the storage host the copies of versions pruned locally; returns those still pending (host unreachable).</summary>
    public async Task<IReadOnlyList<int>> DeleteRemoteCopiesAsync(CancellationToken cancellationToken)
    {
        var pending = await Ledger.RemoteDeletionsAsync(cancellationToken);
        if (Remote is null || pending.Count == 0) return pending;
        var left = new List<int>(pending);
        foreach (var version in pending)
        {
            try
            {
                await Remote.DeleteVersionAsync(version, cancellationToken);
            }
            catch (CheckpointException e)
            {
                LogRemoteDeleteFailed(logger, VersionName.Format(version), e.Message);
                break;
            }
            await Ledger.RemoteDeletedAsync(version, cancellationToken);
            left.Remove(version);
        }
        return left;
    }

    public Task<IReadOnlyList<CheckpointVersion>> ListAsync(CancellationToken cancellationToken) => Ledger.ListAsync(cancellationToken);

    /// <summary>The manifest of a stored version, read from the local store when it matches the recorded checksum, else from the storage host.</summary>
    public async Task<CheckpointManifest> ReadManifestAsync(int version, CancellationToken cancellationToken)
    {
        var row = await RecordedAsync(version, cancellationToken);
        return await ReadRecordedManifestAsync(version, cancellationToken) ?? await FetchManifestAsync(row, cancellationToken);
    }

    /// <summary>
    /// Start-up: records versions found on disk, then loads <c>current</c>. When it does not verify (and cannot be
    /// repaired), the newest older version that verifies becomes current — recorded as a
    /// <see cref="RollbackReason.StartupFallback"/> rollback and logged as an error — and is served instead.
    /// </summary>
    public async Task<StartupResult> StartupAsync(CancellationToken cancellationToken)
    {
        await ExclusiveAsync(() => ReconcileLockedAsync(cancellationToken), cancellationToken);
        var rows = (await Ledger.ListAsync(cancellationToken)).Where(r => r.PrunedUtc is null).ToList();
        if (rows.Count == 0) return new StartupResult(null, null, null);

        int? current = null;
        string problem;
        try
        {
            current = Local.ReadCurrent();
            if (current is null) problem = "there is no current file";
            else if (rows.All(r => r.Number != current)) problem = $"current names {VersionName.Format(current.Value)}, which is not a stored version";
            else return new StartupResult(await LoadAsync(current.Value, cancellationToken), null, null);
        }
        catch (CheckpointException e)
        {
            problem = e.Message;
        }

        var failures = new List<string>();
        var candidates = rows.Where(r => r.Rejected is null && (current is null || r.Number < current)).OrderByDescending(r => r.Number);
        foreach (var candidate in candidates)
        {
            LoadedVersion loaded;
            try
            {
                loaded = await LoadAsync(candidate.Number, cancellationToken);
            }
            catch (CheckpointException e)
            {
                failures.Add(e.Message);
                continue;
            }
            var why = current is null ? $"no usable current: {problem}" : $"current {VersionName.Format(current.Value)} failed verification: {problem}";
            await ExclusiveAsync(() => RollbackLockedAsync(current, candidate.Number, RollbackReason.StartupFallback, DaemonActor + " (start-up)", why, rejected: null, cancellationToken), cancellationToken);
            LogFellBack(logger, candidate.Name, why);
            await AfterChangeAsync(cancellationToken);
            return new StartupResult(loaded, current, why);
        }
        throw new CheckpointException($"no checkpoint version verifies: {problem}{string.Concat(failures.Select(f => "; " + f))}");
    }

    /// <summary>Re-reads the backlog, rollback counts and current version into the metrics.</summary>
    public async Task RefreshMetricsAsync(CancellationToken cancellationToken)
    {
        if (metrics is null) return;
        int? current;
        try
        {
            current = Local.ReadCurrent();
        }
        catch (CheckpointException)
        {
            current = null;
        }
        metrics.Update(await Ledger.BacklogAsync(cancellationToken), await Ledger.RollbackCountsAsync(cancellationToken), current);
        if (current is { } serving && metrics.ServingRatioVersion != serving)
        {
            // As evaluated when the version was trained: its general perplexity over its parent's (1 for a base model).
            var manifest = await ReadRecordedManifestAsync(serving, cancellationToken);
            var ratio = manifest is { EvaluationBefore.GeneralPerplexity: > 0 and var before, EvaluationAfter.GeneralPerplexity: var after }
                ? after / before
                : 1.0;
            if (manifest is not null) metrics.SetServingRatio(serving, ratio);
        }
    }

    /// <summary>Verifies a version's copy on the storage host against its (trusted) manifest.</summary>
    internal async Task<VersionCheck> CheckRemoteAsync(CheckpointVersion row, CheckpointManifest? trustedManifest, CancellationToken cancellationToken)
    {
        var remote = Remote ?? throw new InvalidOperationException("no storage host is configured");
        var manifest = trustedManifest ?? await FetchManifestAsync(row, cancellationToken);
        var tree = await remote.ListVersionAsync(row.Number, cancellationToken);
        return tree is null
            ? new VersionCheck(row.Number, VersionCheck.SshStore, null, [new FileProblem(".", "the version directory is missing on the storage host")])
            : tree.Check(row.Number, manifest, row.ManifestSha256);
    }

    private async Task<T> ExclusiveAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            Local.EnsureCreated();
            using var _ = await StoreLock.AcquireAsync(Local.Root, LockWait, cancellationToken);
            return await work();
        }
        finally
        {
            gate.Release();
        }
    }

    private Task ExclusiveAsync(Func<Task> work, CancellationToken cancellationToken) =>
        ExclusiveAsync(async () =>
        {
            await work();
            return true;
        }, cancellationToken);

    private async Task AfterChangeAsync(CancellationToken cancellationToken)
    {
        await RefreshMetricsAsync(cancellationToken);
        Changed?.Invoke();
    }

    /// <summary>The recorded, not pruned version <paramref name="version"/>; <see cref="CheckpointException"/> otherwise.</summary>
    private async Task<CheckpointVersion> RecordedAsync(int version, CancellationToken cancellationToken)
    {
        var row = await Ledger.GetAsync(version, cancellationToken)
            ?? throw new CheckpointException($"{VersionName.Format(version)} is not a recorded version ('continual-trainer checkpoints list' shows them)");
        if (row.PrunedUtc is { } pruned)
            throw new CheckpointException($"{row.Name} was pruned at {CheckpointLedger.FormatTime(pruned)}");
        return row;
    }

    /// <summary>Checks a publish request and returns the staged files (relative paths).</summary>
    private static IReadOnlyList<string> CheckRequest(PublishRequest request)
    {
        var where = $"publish: staging directory {request.StagingDirectory}";
        if (request.Kind == CheckpointKind.Base) throw new CheckpointException("publish: kind base is reserved for v0 (RegisterBaseAsync)");
        foreach (var (name, value) in new[] { ("run id", request.RunId), ("dataset snapshot id", request.DatasetSnapshotId), ("config hash", request.ConfigHash), ("guard decision", request.GuardDecision) })
        {
            if (string.IsNullOrWhiteSpace(value)) throw new CheckpointException($"publish: the {name} is empty");
        }
        foreach (var (name, evaluation) in new[] { ("evaluation before", request.EvaluationBefore), ("evaluation after", request.EvaluationAfter) })
        {
            if (evaluation.Problem() is { } problem) throw new CheckpointException($"publish: {name}: {problem}");
        }
        if (CheckpointPaths.IsLink(request.StagingDirectory) || !Directory.Exists(request.StagingDirectory))
            throw new CheckpointException($"{where}: not a folder");
        var tree = LocalCheckpointStore.ListTree(request.StagingDirectory);
        if (tree.Refused.Count > 0) throw new CheckpointException($"{where}: {tree.Refused[0]}");
        if (tree.Files.Count == 0) throw new CheckpointException($"{where}: no files");
        if (tree.Files.FirstOrDefault(f => f is CheckpointPaths.ManifestFileName or CheckpointPaths.ManifestChecksumFileName) is { } reserved)
            throw new CheckpointException($"{where}: {reserved} is a reserved name (the repository writes it)");
        CheckpointFiles.Check(request.Kind, request.StagingDirectory, tree.Files, where);
        return tree.Files;
    }

    /// <summary>
    /// Copies <paramref name="files"/> from <paramref name="source"/> into a fresh staging directory (hashing on the
    /// way), writes the manifest, verifies every checksum there, and renames it into place as version <paramref name="number"/>.
    /// </summary>
    private async Task<(CheckpointManifest Manifest, string Sha256)> StageAndPromoteAsync(
        int number, string source, IReadOnlyList<string> files, Func<CheckpointManifest, CheckpointManifest> describe, CancellationToken cancellationToken)
    {
        var name = VersionName.Format(number);
        var staging = Local.CreateStagingDirectory(name);
        try
        {
            var listed = new List<ManifestFile>(files.Count);
            foreach (var file in files)
            {
                var target = Path.Combine(staging, file);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                var (size, sha) = await FileDigest.CopyAsync(Path.Combine(source, file), target, cancellationToken);
                listed.Add(new ManifestFile(file, size, sha));
            }
            var manifest = describe(new CheckpointManifest
            {
                Version = name,
                Kind = CheckpointKind.Full,
                CreatedUtc = DateTimeOffset.UtcNow,
                EngineVersion = EngineInfo.Version,
                Files = [.. listed.OrderBy(f => f.Path, StringComparer.Ordinal)],
            });
            manifest.Validate($"{name}/{CheckpointPaths.ManifestFileName}");
            var manifestSha = LocalCheckpointStore.WriteManifest(staging, manifest);
            var check = await LocalCheckpointStore.VerifyDirectoryAsync(staging, number, manifestSha, VersionCheck.LocalStore, cancellationToken);
            if (!check.Ok) throw new CheckpointException($"{name}: the staged copy does not verify: {check.Summary()}");
            Local.Promote(staging, number);
            return (manifest, manifestSha);
        }
        catch
        {
            if (Directory.Exists(staging)) Local.Delete(staging);
            throw;
        }
    }

    /// <summary>Null when the post-publish check passes (or none is configured); otherwise why the version must go.</summary>
    private async Task<string?> PostPublishProblemAsync(int number, double evaluated, CancellationToken cancellationToken)
    {
        if (postPublishCheck is null) return null;
        var name = VersionName.Format(number);
        double measured;
        try
        {
            measured = await postPublishCheck.MeasureGeneralPerplexityAsync(await LoadAsync(number, cancellationToken), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return $"post-publish check of {name} failed: {e.Message}";
        }
        var relative = Math.Abs(measured - evaluated) / evaluated;
        if (relative <= PostPublishTolerance) return null;
        return string.Create(CultureInfo.InvariantCulture,
            $"post-publish check of {name}: general perplexity {measured:G8} after reloading from the store, {evaluated:G8} when evaluated (relative difference {relative:E2}, allowed {PostPublishTolerance:E0})");
    }

    private async Task<RollbackRecord> RollbackLockedAsync(int? from, int to, string reason, string who, string why, int? rejected, CancellationToken cancellationToken)
    {
        await Ledger.InTransactionAsync(async (connection, transaction, ct) =>
        {
            if (rejected is { } bad) await CheckpointLedger.MarkRejectedAsync(connection, transaction, bad, why, ct);
            await CheckpointLedger.RecordRollbackAsync(connection, transaction, from, to, reason, who, why, ct);
            await CheckpointLedger.RecordPublicationAsync(connection, transaction, VersionCheck.LocalStore, to, from, "rollback", ct);
            Local.WriteCurrent(to);
            return 0;
        }, cancellationToken);
        LogRolledBack(logger, from is { } f ? VersionName.Format(f) : "none", VersionName.Format(to), reason, who, why);
        return (await Ledger.RollbacksAsync(1, cancellationToken))[0];
    }

    /// <summary>
    /// Brings the database in line with the store after a crash or a lost database: clears the work folders,
    /// records versions found on disk that verify by their own manifest checksum (one newer than every recorded
    /// version was a publication interrupted before <c>current</c> moved: recorded as rejected), and queues
    /// uploads for versions the storage host has never had.
    /// </summary>
    private async Task ReconcileLockedAsync(CancellationToken cancellationToken)
    {
        Local.ClearWorkFolders();
        var rows = (await Ledger.ListAsync(cancellationToken)).ToDictionary(r => r.Number);
        var newestRecorded = rows.Count == 0 ? -1 : rows.Keys.Max();
        int? current;
        try
        {
            current = Local.ReadCurrent();
        }
        catch (CheckpointException)
        {
            current = null;
        }
        foreach (var number in Local.ListVersions().Where(n => !rows.ContainsKey(n)))
        {
            var check = await Local.VerifyAsync(number, null, cancellationToken);
            if (!check.Ok)
            {
                LogUnrecordedDamaged(logger, check.Summary());
                continue;
            }
            var rejected = rows.Count > 0 && number > newestRecorded && number != current
                ? "found on disk without a publication record (publication interrupted before current moved)"
                : null;
            var manifest = check.Manifest!;
            var sha = FileDigest.Sha256(await File.ReadAllBytesAsync(Path.Combine(Local.VersionDirectory(number), CheckpointPaths.ManifestFileName), cancellationToken));
            await Ledger.InTransactionAsync(async (connection, transaction, ct) =>
            {
                await CheckpointLedger.InsertVersionAsync(connection, transaction, manifest, sha, rejected, ct);
                if (Remote is not null) await CheckpointLedger.QueueUploadAsync(connection, transaction, number, manifest.TotalBytes, ct);
                return 0;
            }, cancellationToken);
            LogRecordedFromDisk(logger, VersionName.Format(number), rejected ?? "recorded");
        }
        if (Remote is not null)
        {
            foreach (var row in rows.Values.Where(r => r.Upload is null && r.PrunedUtc is null))
            {
                await Ledger.InTransactionAsync(async (connection, transaction, ct) =>
                {
                    await CheckpointLedger.QueueUploadAsync(connection, transaction, row.Number, row.Bytes, ct);
                    return 0;
                }, cancellationToken);
            }
        }
    }

    /// <summary>Restores a damaged local version from the storage host: single files when the manifest is intact, else the whole version.</summary>
    private async Task<VersionCheck> RepairLockedAsync(CheckpointVersion row, CancellationToken cancellationToken)
    {
        var remote = Remote!;
        var check = await Local.VerifyAsync(row.Number, row.ManifestSha256, cancellationToken);
        if (check.Ok) return check;
        try
        {
            if (check.Manifest is null) await RestoreWholeVersionAsync(row, remote, cancellationToken);
            else await RestoreFilesAsync(row, check, remote, cancellationToken);
        }
        catch (CheckpointException e)
        {
            throw new CheckpointException($"{check.Summary()}; restoring from the storage host failed: {e.Message}; refusing to load {row.Name}", e);
        }
        var repaired = await Local.VerifyAsync(row.Number, row.ManifestSha256, cancellationToken);
        if (!repaired.Ok) throw new CheckpointException($"{repaired.Summary()} even after restoring from the storage host; refusing to load {row.Name}");
        LogRestored(logger, row.Name, remote.Description, string.Join("; ", check.Problems.Select(p => p.ToString())));
        return repaired;
    }

    private async Task RestoreWholeVersionAsync(CheckpointVersion row, SshCheckpointStore remote, CancellationToken cancellationToken)
    {
        var staging = Local.CreateStagingDirectory(row.Name + "-restore");
        try
        {
            await remote.FetchVersionAsync(row.Number, staging, cancellationToken);
            var fetched = await LocalCheckpointStore.VerifyDirectoryAsync(staging, row.Number, row.ManifestSha256, VersionCheck.SshStore, cancellationToken);
            if (!fetched.Ok) throw new CheckpointException($"the storage host's copy is damaged too: {fetched.Summary()}");
            Local.Delete(Local.VersionDirectory(row.Number));
            Local.Promote(staging, row.Number);
        }
        finally
        {
            if (Directory.Exists(staging)) Local.Delete(staging);
        }
    }

    private async Task RestoreFilesAsync(CheckpointVersion row, VersionCheck check, SshCheckpointStore remote, CancellationToken cancellationToken)
    {
        var directory = Local.VersionDirectory(row.Number);
        var manifest = check.Manifest!;
        var listed = manifest.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        // Strays (and links a listed path might pass through) go first, then listed files are fetched.
        foreach (var problem in check.Problems.OrderBy(p => listed.ContainsKey(p.Path)))
        {
            if (problem.Path == CheckpointPaths.ManifestChecksumFileName)
            {
                var sumFolder = Local.CreateStagingDirectory(row.Name + "-sum");
                var staged = Path.Combine(sumFolder, CheckpointPaths.ManifestChecksumFileName);
                FileDigest.WriteNew(staged, System.Text.Encoding.UTF8.GetBytes(CheckpointManifest.ChecksumLine(row.ManifestSha256)));
                Local.ReplaceFile(row.Number, CheckpointPaths.ManifestChecksumFileName, staged);
                Local.Delete(sumFolder);
                continue;
            }
            if (!listed.TryGetValue(problem.Path, out var file))
            {
                // Not part of the version (an unlisted file, a link, a special file; found by walking the directory): it goes.
                if (problem.Path != ".") Local.Delete(Path.Combine(directory, problem.Path));
                continue;
            }
            var folder = Local.CreateStagingDirectory(row.Name + "-file");
            var copy = Path.Combine(folder, "copy");
            await remote.FetchFileAsync(row.Number, file.Path, copy, cancellationToken);
            await using (var stream = PosixFiles.OpenRegularForRead(copy) ?? throw new CheckpointException($"{file.Path}: the fetched copy is not a regular file"))
            {
                var sha = stream.Length == file.Size ? await FileDigest.ComputeAsync(stream, file.Size, cancellationToken) : null;
                if (sha != file.Sha256) throw new CheckpointException($"the storage host's copy of {row.Name}/{file.Path} is damaged too");
            }
            Local.ReplaceFile(row.Number, file.Path, copy);
            Local.Delete(folder);
        }
    }

    /// <summary>The local manifest when it matches the recorded checksum, else null.</summary>
    private async Task<CheckpointManifest?> ReadRecordedManifestAsync(int version, CancellationToken cancellationToken)
    {
        var row = await Ledger.GetAsync(version, cancellationToken);
        var path = Path.Combine(Local.VersionDirectory(version), CheckpointPaths.ManifestFileName);
        if (row is null || CheckpointPaths.IsLink(Local.VersionDirectory(version)) || CheckpointPaths.IsLink(path) || !File.Exists(path)) return null;
        if (new FileInfo(path).Length > CheckpointManifest.MaxBytes) return null;
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        return FileDigest.Sha256(bytes) == row.ManifestSha256 ? CheckpointManifest.Parse(bytes, $"{row.Name}/{CheckpointPaths.ManifestFileName}") : null;
    }

    /// <summary>The manifest from the storage host, accepted only when it matches the recorded checksum.</summary>
    private async Task<CheckpointManifest> FetchManifestAsync(CheckpointVersion row, CancellationToken cancellationToken)
    {
        var remote = Remote ?? throw new CheckpointException($"{row.Name}: the local manifest is damaged and no storage host is configured");
        var folder = Local.CreateStagingDirectory(row.Name + "-manifest");
        try
        {
            var copy = Path.Combine(folder, CheckpointPaths.ManifestFileName);
            await remote.FetchFileAsync(row.Number, CheckpointPaths.ManifestFileName, copy, cancellationToken);
            if (new FileInfo(copy).Length > CheckpointManifest.MaxBytes) throw new CheckpointException($"{row.Name}: the storage host's manifest is too large");
            var bytes = await File.ReadAllBytesAsync(copy, cancellationToken);
            if (FileDigest.Sha256(bytes) != row.ManifestSha256) throw new CheckpointException($"{row.Name}: the storage host's manifest does not match the recorded checksum");
            return CheckpointManifest.Parse(bytes, $"{remote.Description}/{row.Name}/{CheckpointPaths.ManifestFileName}");
        }
        finally
        {
            Local.Delete(folder);
        }
    }

    private static void CheckText(string value, string what)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 1000 || value.Any(char.IsControl))
            throw new CheckpointException($"rollback: '{VersionName.Printable(value)}' is not a usable {what} (1 to 1000 characters, no control characters)");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "base model {Source} registered as v0 ({Files} files, {Bytes} bytes)")]
    private static partial void LogBaseRegistered(ILogger logger, string source, int files, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model:Base is {Configured}, but v0 was copied from {Recorded}; v0 stays as it is (the base model of a store never changes)")]
    private static partial void LogBaseDiffers(ILogger logger, string configured, string recorded);

    [LoggerMessage(Level = LogLevel.Information, Message = "published {Version} (parent {Parent}, run {RunId}, {Bytes} bytes); current is {Version}")]
    private static partial void LogPublished(ILogger logger, string version, string parent, string runId, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "rolled back from {From} to {To} ({Reason}, by {Who}): {Why}")]
    private static partial void LogRolledBack(ILogger logger, string from, string to, string reason, string who, string why);

    [LoggerMessage(Level = LogLevel.Error, Message = "CURRENT CHECKPOINT FAILED VERIFICATION: serving {Version} instead ({Why})")]
    private static partial void LogFellBack(ILogger logger, string version, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Summary}")]
    private static partial void LogDamaged(ILogger logger, string summary);

    [LoggerMessage(Level = LogLevel.Warning, Message = "restored {Version} from the storage host {Host} ({Problems})")]
    private static partial void LogRestored(ILogger logger, string version, string host, string problems);

    [LoggerMessage(Level = LogLevel.Information, Message = "pruned {Version}")]
    private static partial void LogPruned(ILogger logger, string version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "automatic prune failed: {Error}")]
    private static partial void LogPruneFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "copy of {Version} on the storage host not deleted yet: {Error}")]
    private static partial void LogRemoteDeleteFailed(ILogger logger, string version, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Summary}; it is not recorded in the state database and is left alone")]
    private static partial void LogUnrecordedDamaged(ILogger logger, string summary);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Version} found on disk without a database record: {Outcome}")]
    private static partial void LogRecordedFromDisk(ILogger logger, string version, string outcome);
}
