using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using ContinualTrainer.Checkpoints;
using ContinualTrainer.Configuration;
using ContinualTrainer.Hosting;
using ContinualTrainer.Metrics;
using ContinualTrainer.State;
using ContinualTrainer.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ContinualTrainer.Cli;

/// <summary>
/// <c>continual-trainer train --now</c>: when a daemon runs on the state folder, asks it for a run (a row in
/// <c>training_requests</c>, which it claims within seconds) and follows the run to its end; otherwise performs one
/// run in this process, holding the daemon lock so no daemon starts meanwhile. SIGINT/SIGTERM interrupt an
/// in-process run (nothing is published).
/// </summary>
public static class TrainCommand
{
    private static readonly Option<bool> Now = new("--now") { Description = "Start a run now (gates such as Schedule:MinNewExamples do not apply)", Required = true };
    private static readonly Option<bool> Json = new("--json") { Description = "End with the run summary as one JSON object on the last line" };
    private static readonly Option<bool> NoWait = new("--no-wait") { Description = "With a running daemon: only queue the request, do not wait for the run" };

    public static Command Create()
    {
        var command = new Command("train", "Run one guarded training run now: snapshot, evaluate, train, evaluate, guard, publish or discard");
        foreach (var option in new Option[] { Now, Json, NoWait }) command.Options.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var options = DaemonOptionsLoader.Load(parseResult.GetValue(GlobalOptions.Config), parseResult.GetValue(GlobalOptions.State));
            var output = parseResult.InvocationConfiguration.Output;
            Directory.CreateDirectory(options.Paths.State);
            var database = new StateDatabase(options.Paths.Database);
            var who = "cli:" + Environment.UserName;
            RunSummary summary;
            using (var instance = InstanceLock.TryAcquire(options.Paths.LockFile, out var holder))
            {
                if (instance is null)
                {
                    summary = await AskDaemonAsync(database, who, holder, parseResult.GetValue(NoWait), output, cancellationToken);
                }
                else
                {
                    await database.MigrateAsync(cancellationToken);
                    summary = await RunInProcessAsync(options, database, who, parseResult.InvocationConfiguration.Error, cancellationToken);
                }
            }
            output.WriteLine($"run {summary.RunId}: {summary.Result}{(summary.Detail.Length > 0 ? " — " + summary.Detail : "")}");
            if (summary.GeneralPerplexityBefore is { } before)
                output.WriteLine($"general perplexity: {before:F3} -> {summary.GeneralPerplexityAfter?.ToString("F3") ?? "-"}; decision loss: {summary.DecisionLossBefore?.ToString("F4") ?? "-"} -> {summary.DecisionLossAfter?.ToString("F4") ?? "-"}");
            if (parseResult.GetValue(Json)) output.WriteLine(JsonSerializer.Serialize(summary, RunsCommand.JsonOptions));
            return summary.Result is "failed" ? ExitCodes.Failure : ExitCodes.Success;
        });
        return command;
    }

    private static async Task<RunSummary> RunInProcessAsync(DaemonOptions options, StateDatabase database, string who, TextWriter log, CancellationToken cancellationToken)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
            .AddFilter("Microsoft", LogLevel.Warning)
            .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        services.AddSingleton(options);
        services.AddSingleton(database);
        services.AddSingleton<MetricsRegistry>();
        services.AddSingleton<StatusBoard>();
        services.AddCheckpoints(options);
        services.AddTraining(options);
        await using var provider = services.BuildServiceProvider();

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });

        var repository = provider.GetRequiredService<CheckpointRepository>();
        if (options.Model.Base is { } baseModel) await repository.RegisterBaseAsync(baseModel, stop.Token);
        if (options.Model.Base is not null) await repository.StartupAsync(stop.Token);
        await provider.GetRequiredService<RunStore>().InterruptAbandonedAsync("the process running it stopped before it finished", stop.Token);
        return await provider.GetRequiredService<TrainingRunner>().RunAsync(RunTrigger.Manual, who, stop.Token);
    }

    private static async Task<RunSummary> AskDaemonAsync(StateDatabase database, string who, int? holder, bool noWait, TextWriter output, CancellationToken cancellationToken)
    {
        var runs = new RunStore(database);
        var request = await runs.RequestAsync(who, cancellationToken);
        output.WriteLine($"asked the running daemon{(holder is { } pid ? $" (pid {pid})" : "")} for a run (request {request})");
        if (noWait) return new RunSummary { Result = "requested", Detail = $"request {request} queued" };
        long? runId = null;
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            runId ??= await runs.RunForRequestAsync(request, cancellationToken);
            if (runId is not { } id) continue;
            var run = await runs.GetAsync(id, cancellationToken);
            if (run is null || run.Result == RunResult.Running) continue;
            return ToSummary(run);
        }
    }

    /// <summary>The summary of a finished run, from its record.</summary>
    public static RunSummary ToSummary(TrainingRunRecord run)
    {
        static double? Get(string? json, string name)
        {
            if (json is null) return null;
            using var document = JsonDocument.Parse(json);
            return document.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
        }
        static double? MeanProbe(string? json)
        {
            if (json is null) return null;
            using var document = JsonDocument.Parse(json);
            if (!document.RootElement.TryGetProperty("probe_accuracy", out var p) || p.ValueKind != JsonValueKind.Object) return null;
            var values = p.EnumerateObject().Select(x => x.Value.GetDouble()).ToList();
            return values.Count == 0 ? null : values.Average();
        }
        return new RunSummary
        {
            RunId = run.Id,
            Result = run.Result.Name(),
            VersionBefore = run.VersionBefore,
            VersionAfter = run.VersionAfter,
            GeneralPerplexityBefore = Get(run.EvaluationBefore, "general_perplexity"),
            GeneralPerplexityAfter = Get(run.EvaluationAfter, "general_perplexity"),
            DecisionLossBefore = Get(run.EvaluationBefore, "decision_loss"),
            DecisionLossAfter = Get(run.EvaluationAfter, "decision_loss"),
            ProbeAccuracyBefore = MeanProbe(run.EvaluationBefore),
            ProbeAccuracyAfter = MeanProbe(run.EvaluationAfter),
            TrainTokens = run.TrainTokens,
            Seconds = run.Seconds ?? 0,
            Detail = run.Detail,
        };
    }
}
