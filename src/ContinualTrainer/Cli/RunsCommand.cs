using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using ContinualTrainer.Configuration;
using ContinualTrainer.State;
using ContinualTrainer.Training;

namespace ContinualTrainer.Cli;

/// <summary><c>continual-trainer runs list|show ID</c>: the training runs, their phases, numbers and guard decisions.</summary>
public static class RunsCommand
{
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    private static readonly Option<bool> Json = new("--json") { Description = "Print JSON instead of text" };
    private static readonly Option<int> Limit = new("--limit") { Description = "How many runs, newest first", DefaultValueFactory = _ => 20 };
    private static readonly Argument<long> Id = new("ID") { Description = "The run id (see runs list)" };

    public static Command Create()
    {
        var list = new Command("list", "The latest runs: result, versions, general perplexity before/after, duration");
        list.Options.Add(Limit);
        list.Options.Add(Json);
        list.SetAction(async (parseResult, ct) =>
        {
            var limit = parseResult.GetValue(Limit);
            if (limit < 1) throw new CliException($"--limit must be at least 1 (got {limit})", ExitCodes.Usage);
            var store = await OpenAsync(parseResult, ct);
            var runs = store is null ? [] : await store.ListAsync(limit, ct);
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(Json))
            {
                output.WriteLine(JsonSerializer.Serialize(runs.Select(TrainCommand.ToSummary), JsonOptions));
                return ExitCodes.Success;
            }
            if (runs.Count == 0)
            {
                output.WriteLine("no training runs yet");
                return ExitCodes.Success;
            }
            output.WriteLine($"{"RUN",-5} {"STARTED (UTC)",-20} {"TRIGGER",-9} {"RESULT",-12} {"VERSION",-9} {"GENERAL PPL",-21} {"SECONDS",8}  DETAIL");
            foreach (var run in runs)
            {
                var s = TrainCommand.ToSummary(run);
                var versions = $"v{run.VersionBefore?.ToString(CultureInfo.InvariantCulture) ?? "?"}{(run.VersionAfter is { } a ? $"->v{a}" : "")}";
                var ppl = s.GeneralPerplexityBefore is { } b ? $"{b:F3}->{s.GeneralPerplexityAfter?.ToString("F3", CultureInfo.InvariantCulture) ?? "-"}" : "-";
                output.WriteLine($"{run.Id,-5} {run.StartedUtc.UtcDateTime:yyyy-MM-dd HH:mm:ss}  {run.Trigger.Name(),-9} {run.Result.Name(),-12} {versions,-9} {ppl,-21} {run.Seconds ?? 0,8:F1}  {Shorten(run.Detail)}");
            }
            return ExitCodes.Success;
        });

        var show = new Command("show", "One run: every phase with its timing, the evaluations before and after, the guard's checks");
        show.Arguments.Add(Id);
        show.Options.Add(Json);
        show.SetAction(async (parseResult, ct) =>
        {
            var id = parseResult.GetValue(Id);
            var store = await OpenAsync(parseResult, ct) ?? throw new CliException($"there is no run {id}");
            var run = await store.GetAsync(id, ct) ?? throw new CliException($"there is no run {id}");
            var phases = await store.PhasesAsync(id, ct);
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(Json))
            {
                output.WriteLine(JsonSerializer.Serialize(new { run, phases }, JsonOptions));
                return ExitCodes.Success;
            }
            output.WriteLine($"run {run.Id}: {run.Result.Name()} ({run.Trigger.Name()}{(run.RequestedBy.Length > 0 ? ", " + run.RequestedBy : "")})");
            output.WriteLine($"started {run.StartedUtc:O}, {run.Seconds ?? 0:F1} s; snapshot {run.SnapshotId?.ToString(CultureInfo.InvariantCulture) ?? "-"}; v{run.VersionBefore?.ToString(CultureInfo.InvariantCulture) ?? "?"} -> {(run.VersionAfter is { } v ? "v" + v.ToString(CultureInfo.InvariantCulture) : "nothing published")}");
            output.WriteLine($"training: step {run.Step}/{run.TotalSteps}, {run.TrainTokens} tokens, last loss {run.LastLoss?.ToString("F4", CultureInfo.InvariantCulture) ?? "-"}, {run.TokensPerSecond?.ToString("F0", CultureInfo.InvariantCulture) ?? "-"} tokens/s");
            foreach (var phase in phases) output.WriteLine($"  {phase.Phase,-16} {phase.Seconds ?? 0,8:F2} s  {phase.Detail}");
            output.WriteLine($"evaluation before: {run.EvaluationBefore ?? "-"}");
            output.WriteLine($"evaluation after:  {run.EvaluationAfter ?? "-"}");
            output.WriteLine($"guard: {run.Verdict ?? "-"}");
            output.WriteLine($"detail: {run.Detail}");
            return ExitCodes.Success;
        });

        var command = new Command("runs", "Training runs: what each did and why it was accepted or rejected");
        command.Subcommands.Add(list);
        command.Subcommands.Add(show);
        return command;
    }

    private static async Task<RunStore?> OpenAsync(ParseResult parseResult, CancellationToken ct)
    {
        var options = DaemonOptionsLoader.Load(parseResult.GetValue(GlobalOptions.Config), parseResult.GetValue(GlobalOptions.State));
        if (!File.Exists(options.Paths.Database)) return null;
        var database = new StateDatabase(options.Paths.Database);
        var version = await database.GetSchemaVersionAsync(ct);
        if (version > database.KnownVersion) throw new StateDatabaseException($"{database.Path} has schema version {version}, newer than the {database.KnownVersion} this build knows");
        return version >= 5 ? new RunStore(database) : null;
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";
}
