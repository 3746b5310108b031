using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ContinualTrainer.Checkpoints;
using ContinualTrainer.Configuration;
using ContinualTrainer.State;
using Microsoft.Extensions.Logging.Abstractions;

namespace ContinualTrainer.Cli;

/// <summary>
/// <c>continual-trainer checkpoints list|show|verify|rollback|prune</c>: the model versions in the checkpoint
/// stores, usable with or without a running daemon (changes take the store lock, so they queue behind the daemon's).
/// </summary>
public static class CheckpointsCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new(StatusReport.JsonOptions)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static Command Create()
    {
        var command = new Command("checkpoints", "Model versions: list, show, verify, roll back and prune (v0 is the base model; 'current' is served)");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Verify());
        command.Subcommands.Add(Rollback());
        command.Subcommands.Add(Prune());
        return command;
    }

    private static Command List()
    {
        var json = JsonOption();
        var all = new Option<bool>("--all") { Description = "Include pruned versions" };
        var command = new Command("list", "List the stored versions with their kind, parent, size, general perplexity and upload state") { json, all };
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, cancellationToken, async (repository, output, ct) =>
        {
            var current = repository.Local.ReadCurrent();
            var versions = (await repository.ListAsync(ct)).Where(v => parseResult.GetValue(all) || v.PrunedUtc is null).ToList();
            if (parseResult.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new { current = current is { } c ? VersionName.Format(c) : null, versions }, JsonOptions));
                return;
            }
            if (versions.Count == 0)
            {
                output.WriteLine("no versions yet (`continual-trainer init` registers a base model as v0; so does the daemon when Model:Base is set)");
                return;
            }
            output.WriteLine($"{"VERSION",-9} {"KIND",-5} {"PARENT",-7} {"CREATED (UTC)",-19} {"BYTES",14} {"GENERAL PPL",12} {"UPLOAD",-10} NOTES");
            foreach (var v in versions)
            {
                var notes = new List<string>();
                if (v.Number == current) notes.Add("current");
                if (v.Rejected is not null) notes.Add("rejected: " + v.Rejected);
                if (v.PrunedUtc is not null) notes.Add("pruned");
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{v.Name,-9} {KindName(v.Kind),-5} {(v.Parent is { } p ? VersionName.Format(p) : "-"),-7} {v.CreatedUtc.UtcDateTime:yyyy-MM-dd HH:mm:ss} {v.Bytes,14} {(v.GeneralPerplexity is { } ppl ? ppl.ToString("F4", CultureInfo.InvariantCulture) : "-"),12} {UploadText(v),-10} {string.Join("; ", notes)}"));
            }
        }));
        return command;
    }

    private static Command Show()
    {
        var json = JsonOption();
        var version = VersionArgument();
        var command = new Command("show", "Show one version: its record, its manifest (run, dataset snapshot, evaluations, guard decision) and its files") { version, json };
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, cancellationToken, async (repository, output, ct) =>
        {
            var number = ParseVersion(parseResult.GetValue(version));
            var record = await repository.Ledger.GetAsync(number, ct) ?? throw new CheckpointException($"{VersionName.Format(number)} is not a recorded version");
            var manifest = record.PrunedUtc is null ? await repository.ReadManifestAsync(number, ct) : null;
            if (parseResult.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new { record, manifest }, JsonOptions));
                return;
            }
            output.WriteLine($"version:       {record.Name}{(repository.Local.ReadCurrent() == number ? " (current)" : "")}");
            output.WriteLine($"kind:          {KindName(record.Kind)}{(record.SelfContained ? "" : " (adapter only: needs its parent)")}");
            output.WriteLine($"parent:        {(record.Parent is { } p ? VersionName.Format(p) : "-")}");
            output.WriteLine($"created:       {CheckpointLedger.FormatTime(record.CreatedUtc)}");
            output.WriteLine($"upload:        {UploadText(record)}{(record.Upload?.LastError is { } error ? $" (last error: {error})" : "")}");
            if (record.Rejected is not null) output.WriteLine($"rejected:      {record.Rejected}");
            if (record.PrunedUtc is { } pruned) output.WriteLine($"pruned:        {CheckpointLedger.FormatTime(pruned)}");
            if (manifest is null) return;
            output.WriteLine($"run:           {manifest.RunId ?? "-"}");
            output.WriteLine($"snapshot:      {manifest.DatasetSnapshotId ?? "-"}");
            output.WriteLine($"config hash:   {manifest.ConfigHash ?? "-"}");
            output.WriteLine($"eval before:   {EvaluationText(manifest.EvaluationBefore)}");
            output.WriteLine($"eval after:    {EvaluationText(manifest.EvaluationAfter)}");
            output.WriteLine($"guard:         {manifest.GuardDecision ?? "-"}");
            if (manifest.Source is not null) output.WriteLine($"source:        {manifest.Source}");
            output.WriteLine($"engine:        {manifest.EngineVersion}");
            output.WriteLine($"files:         {manifest.Files.Count}, {manifest.TotalBytes} bytes");
            foreach (var file in manifest.Files) output.WriteLine($"  {file.Sha256}  {file.Size,14}  {file.Path}");
        }));
        return command;
    }

    private static Command Verify()
    {
        var json = JsonOption();
        var version = new Argument<string?>("VERSION") { Description = "The version to verify (v3 or 3); default: every stored version", Arity = ArgumentArity.ZeroOrOne };
        var localOnly = new Option<bool>("--local-only") { Description = "Do not contact the storage host" };
        var repair = new Option<bool>("--repair") { Description = "Restore damaged local files from the storage host and queue damaged remote copies for upload again" };
        var command = new Command("verify", "Check sizes and SHA-256 of every file of one or every version, locally and on the storage host; exit 1 when any fails") { version, localOnly, repair, json };
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, cancellationToken, async (repository, output, ct) =>
        {
            var number = parseResult.GetValue(version) is { } text ? ParseVersion(text) : (int?)null;
            var checks = await repository.VerifyAsync(number, !parseResult.GetValue(localOnly), parseResult.GetValue(repair), ct);
            if (parseResult.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(checks.Select(c => new { version = VersionName.Format(c.Version), store = c.Store, ok = c.Ok, note = c.Note, problems = c.Problems.Select(p => p.ToString()) }), JsonOptions));
            }
            else
            {
                foreach (var check in checks) output.WriteLine(check.Summary());
            }
            var failed = checks.Where(c => !c.Ok).Select(c => $"{VersionName.Format(c.Version)} ({c.Store})").ToList();
            if (failed.Count > 0) throw new CheckpointException($"verification failed: {string.Join(", ", failed)}");
        }));
        return command;
    }

    private static Command Rollback()
    {
        var version = VersionArgument();
        var reason = new Option<string?>("--reason") { Description = "Why (recorded with who did it)", HelpName = "TEXT" };
        var command = new Command("rollback", "Make an earlier (verified) version current again; recorded with who and why") { version, reason };
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, cancellationToken, async (repository, output, ct) =>
        {
            var number = ParseVersion(parseResult.GetValue(version));
            var who = $"{Environment.UserName} (cli)";
            var record = await repository.RollbackAsync(number, who, parseResult.GetValue(reason) ?? "manual rollback", ct);
            output.WriteLine($"current is now {VersionName.Format(record.To)} (was {(record.From is { } f ? VersionName.Format(f) : "none")}); recorded as a {record.Reason} rollback by {record.Who}: {record.Why}");
            if (repository.Remote is not null) output.WriteLine("the storage host's current follows when the daemon's upload worker runs next");
        }));
        return command;
    }

    private static Command Prune()
    {
        var json = JsonOption();
        var dryRun = new Option<bool>("--dry-run") { Description = "Only show what would be deleted" };
        var command = new Command("prune", "Delete versions the retention policy does not keep (never v0, current, the last N, every Kth, the best, or one not yet on the storage host)") { dryRun, json };
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, cancellationToken, async (repository, output, ct) =>
        {
            var result = await repository.PruneAsync(parseResult.GetValue(dryRun), ct);
            if (parseResult.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    dry_run = result.DryRun,
                    keep = result.Decisions.Where(d => d.Keep).ToDictionary(d => VersionName.Format(d.Version), d => d.KeptBecause),
                    prune = result.Decisions.Where(d => !d.Keep).Select(d => VersionName.Format(d.Version)),
                    remote_delete_pending = result.RemoteDeletePending.Select(VersionName.Format),
                }, JsonOptions));
                return;
            }
            foreach (var decision in result.Decisions)
            {
                var verdict = decision.Keep ? "keep (" + string.Join(", ", decision.KeptBecause) + ")" : result.DryRun ? "would be pruned" : "pruned";
                output.WriteLine($"{VersionName.Format(decision.Version),-9} {verdict}");
            }
            if (result.RemoteDeletePending.Count > 0)
                output.WriteLine($"the storage host was not reachable: its copies of {string.Join(", ", result.RemoteDeletePending.Select(VersionName.Format))} are deleted later");
        }));
        return command;
    }

    /// <summary>Loads the configuration, opens (and if needed migrates) the state database, builds the repository and runs <paramref name="work"/>; checkpoint failures become one line on stderr and exit 1.</summary>
    private static async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken, Func<CheckpointRepository, TextWriter, CancellationToken, Task> work)
    {
        var options = DaemonOptionsLoader.Load(parseResult.GetValue(GlobalOptions.Config), parseResult.GetValue(GlobalOptions.State));
        if (!File.Exists(options.Paths.Database))
            throw new CliException($"{options.Paths.Database}: no state database; the daemon has not run on this state folder yet");
        var database = new StateDatabase(options.Paths.Database);
        await database.MigrateAsync(cancellationToken);
        var ssh = options.Checkpoints.Ssh is { } s ? new SshCheckpointStore(s) : null;
        var repository = new CheckpointRepository(options.Checkpoints, new CheckpointLedger(database), ssh, NullLogger<CheckpointRepository>.Instance);
        try
        {
            await work(repository, parseResult.InvocationConfiguration.Output, cancellationToken);
        }
        catch (CheckpointException e)
        {
            throw new CliException(e.Message);
        }
        return ExitCodes.Success;
    }

    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON instead of text" };

    private static Argument<string> VersionArgument() => new("VERSION") { Description = "A version: v3 (or 3)" };

    private static int ParseVersion(string? text)
    {
        var name = text is not null && text.Length > 0 && char.IsAsciiDigit(text[0]) ? "v" + text : text;
        return VersionName.TryParse(name, out var number)
            ? number
            : throw new CliException($"'{VersionName.Printable(text)}' is not a version (v0, v1, ... or 0, 1, ...)", ExitCodes.Usage);
    }

    private static string KindName(CheckpointKind kind) => CheckpointLedger.KindName(kind);

    private static string UploadText(CheckpointVersion version) =>
        version.Upload is { } upload ? upload.State.ToString().ToLowerInvariant() + (upload.State == UploadState.Verified || upload.Attempts == 0 ? "" : $" ({upload.Attempts}x)") : "-";

    private static string EvaluationText(CheckpointEvaluation? evaluation) =>
        evaluation is null
            ? "-"
            : string.Join(", ", evaluation.Metrics.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Key} {m.Value:G6}"))
                .Prepend(string.Create(CultureInfo.InvariantCulture, $"general perplexity {evaluation.GeneralPerplexity:G6}")));
}
