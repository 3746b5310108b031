using System.CommandLine;
using System.Text.Json;
using ContinualTrainer.Checkpoints;
using ContinualTrainer.Configuration;
using ContinualTrainer.Hosting;
using ContinualTrainer.Ingestion.Store;
using ContinualTrainer.State;

namespace ContinualTrainer.Cli;

/// <summary>
/// <c>continual-trainer status</c>: whether a daemon runs on the state folder, what it is doing and what it
/// waits for, read from the state database (never altered) — works with or without a running daemon.
/// </summary>
public static class StatusCommand
{
    private static readonly Option<bool> Json = new("--json") { Description = "Print one JSON object instead of text" };

    public static Command Create()
    {
        var command = new Command("status", "Show what the daemon is doing, what it waits for, and the state folder's contents");
        command.Options.Add(Json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var options = DaemonOptionsLoader.Load(parseResult.GetValue(GlobalOptions.Config), parseResult.GetValue(GlobalOptions.State));
            var report = await CollectAsync(options, cancellationToken);
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(Json)) output.WriteLine(JsonSerializer.Serialize(report, StatusReport.JsonOptions));
            else report.WriteText(output);
            return ExitCodes.Success;
        });
        return command;
    }

    public static async Task<StatusReport> CollectAsync(DaemonOptions options, CancellationToken cancellationToken)
    {
        var running = InstanceLock.IsHeld(options.Paths.LockFile, out var pid);
        int? schema = null;
        string? line = null, startedAt = null, stoppedAt = null, listen = null;
        CheckpointStatus? checkpoints = null;
        IngestionStatus? ingestion = null;
        if (File.Exists(options.Paths.Database))
        {
            var database = new StateDatabase(options.Paths.Database);
            schema = await database.GetSchemaVersionAsync(cancellationToken);
            if (schema > database.KnownVersion)
                throw new StateDatabaseException($"{database.Path} has schema version {schema}, newer than the {database.KnownVersion} this build knows; upgrade continual-trainer");
            if (schema >= 1)
            {
                var meta = new MetaStore(database);
                line = await meta.GetAsync(MetaStore.Keys.StatusLine, cancellationToken);
                startedAt = await meta.GetAsync(MetaStore.Keys.StartedAt, cancellationToken);
                stoppedAt = await meta.GetAsync(MetaStore.Keys.StoppedAt, cancellationToken);
                listen = await meta.GetAsync(MetaStore.Keys.ListenUrl, cancellationToken);
            }
            if (schema >= 2) checkpoints = await CheckpointStatus.ReadAsync(database, options.Checkpoints, cancellationToken);
            if (schema >= 1) ingestion = await new ConversationStore(database).ReadStatusAsync(cancellationToken);
        }
        var waiting = new List<string>();
        if (DaemonLoop.WaitingFor(options) is { } reason) waiting.Add(reason);
        return new StatusReport
        {
            StateDir = options.Paths.State,
            ConfigFile = options.ConfigFile,
            DaemonRunning = running,
            Pid = running ? pid : null,
            StatusLine = running ? line : "not running",
            ListenUrl = running ? listen : null,
            LastStartedUtc = startedAt,
            LastStoppedUtc = stoppedAt,
            SchemaVersion = schema,
            Model = options.Model.Base,
            WaitingFor = waiting,
            Checkpoints = checkpoints,
            Ingestion = ingestion,
        };
    }
}
