using System.CommandLine;
using ContinualTrainer.Configuration;
using ContinualTrainer.Dataset;
using ContinualTrainer.Ingestion;
using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;
using ContinualTrainer.Ingestion.Store;
using ContinualTrainer.Ingestion.Watching;
using ContinualTrainer.Metrics;
using ContinualTrainer.State;
using Microsoft.Data.Sqlite;

namespace ContinualTrainer.Cli;

/// <summary>
/// <c>continual-trainer ingest [--model DIR] [--category agent-log|transcript] [--format NAME] PATH...</c>: ingests files
/// and folders (recursively, skipping the names the watcher ignores) into the state database once, prints what it did,
/// and exits — exactly like the daemon would, and safely next to a running daemon (each file's pass is re-checked
/// under the database's write lock).
/// </summary>
/// <remarks>
/// Category: <c>--category</c>, else the watched folder the file is in, else agent-log for files in the agent-log format
/// and transcript for the others. Format: <c>--format</c>, else <c>Ingestion:Formats</c>, else detected. A file modified
/// within <c>Ingestion:SettleSeconds</c> is treated as still being written (only its complete lines are read). Files
/// outside the watched folders are recorded under their absolute path and never moved to the archive or quarantine
/// folder. Exit code 0 when every file was handled (quarantined ones included: they are reported), 1 when a PATH does
/// not exist or a file could not be read.
/// </remarks>
public static class IngestCommand
{
    /// <param name="deriverFactory">Creates the example deriver of this build (the dataset layer), or null when there is none.</param>
    public static Command Create(Func<DaemonOptions, StateDatabase, IExampleDeriver>? deriverFactory = null)
    {
        var paths = new Argument<string[]>("PATH")
        {
            Description = "Files or folders (recursive) to ingest",
            Arity = ArgumentArity.OneOrMore,
        };
        var model = new Option<string?>("--model")
        {
            Description = "Hugging Face model folder whose tokenizer and chat format derive the examples (default: Model:Base). "
                + "Without a model the conversations are stored and their examples wait",
            HelpName = "DIR",
        };
        var category = new Option<string?>("--category")
        {
            Description = "Store the conversations under this category (default: from the watched folder, else from the format)",
            HelpName = "agent-log|transcript",
        };
        category.AcceptOnlyFromAmong(ConversationCategoryNames.AgentLog, ConversationCategoryNames.Transcript);
        var format = new Option<string?>("--format")
        {
            Description = "Read the files as this format instead of detecting it",
            HelpName = "openai|sharegpt|agent-log|text",
        };
        format.AcceptOnlyFromAmong(ConversationFormatNames.OpenAi, ConversationFormatNames.ShareGpt, ConversationFormatNames.AgentLog, ConversationFormatNames.Text);

        var command = new Command("ingest",
            "Ingest files or folders once into the state database (as the daemon would), print a summary and exit; "
            + "examples are derived when a model is known");
        command.Arguments.Add(paths);
        command.Options.Add(model);
        command.Options.Add(category);
        command.Options.Add(format);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var options = DaemonOptionsLoader.Load(parseResult.GetValue(GlobalOptions.Config), parseResult.GetValue(GlobalOptions.State));
            var modelFolder = parseResult.GetValue(model) is { } given ? CheckModel(given) : options.Model.Base;
            var categoryGiven = parseResult.GetValue(category) is { } categoryName ? ConversationCategoryNames.Parse(categoryName) : (ConversationCategory?)null;
            var formatGiven = parseResult.GetValue(format) is { } formatName ? ConversationFormatNames.Parse(formatName) : (ConversationFormat?)null;
            var files = Expand(parseResult.GetValue(paths)!);

            Directory.CreateDirectory(options.Paths.State);
            var database = new StateDatabase(options.Paths.Database);
            await database.MigrateAsync(cancellationToken);
            var summary = await IngestAsync(options, database, files, categoryGiven, formatGiven, cancellationToken);

            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine($"ingested into {database.Path}");
            summary.WriteText(output);
            await DeriveAsync(output, modelFolder, deriverFactory?.Invoke(options, database), cancellationToken);
            return summary.Failures.Count == 0 ? ExitCodes.Success : ExitCodes.Failure;
        });
        return command;
    }

    private static async Task<IngestSummary> IngestAsync(
        DaemonOptions options, StateDatabase database, IReadOnlyList<string> files, ConversationCategory? category, ConversationFormat? format,
        CancellationToken cancellationToken)
    {
        using var ingestor = new FileIngestor(database, options.Ingestion, new IngestionMetrics(new MetricsRegistry()), new ConversationChangeSignal(), TimeProvider.System);
        var summary = new IngestSummary();
        foreach (var file in files)
        {
            var location = InboxPaths.Locate(options.Ingestion, file);
            var recentlyModified = InboxFileSystem.Stat(file) is { } stat && DateTimeOffset.UtcNow - stat.Mtime < options.Ingestion.Settle;
            var target = new IngestTarget(
                file, category ?? location?.Root.Category, format ?? location?.Format, location?.RelativePath,
                recentlyModified ? FileCompleteness.Growing : FileCompleteness.Settled);
            try
            {
                summary.Add(await ingestor.IngestAsync(target, cancellationToken));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or IngestConflictException or SqliteException)
            {
                summary.AddFailure(file, e.Message);
            }
        }
        return summary;
    }

    private static async Task DeriveAsync(TextWriter output, string? model, IExampleDeriver? deriver, CancellationToken cancellationToken)
    {
        if (model is null)
        {
            output.WriteLine("examples:      waiting — no model (give --model DIR or set Model:Base); the conversations are stored");
        }
        else if (deriver is null)
        {
            output.WriteLine($"examples:      waiting — this build has no example deriver; the conversations are stored (model {model})");
        }
        else
        {
            int derived;
            try
            {
                derived = await deriver.DeriveAsync(model, cancellationToken);
            }
            catch (Exception e) when (e is DatasetException or InvalidDataException or IOException)
            {
                throw new CliException($"examples not derived for {model}: {e.Message} (the conversations are stored)");
            }
            output.WriteLine($"examples:      {derived} derived for {model}");
        }
    }

    private static string CheckModel(string folder)
    {
        if (!Directory.Exists(folder)) throw new CliException($"--model {folder}: no such folder");
        foreach (var required in new[] { "config.json", "tokenizer.json" })
        {
            if (!File.Exists(Path.Combine(folder, required)))
                throw new CliException($"--model {folder}: not a Hugging Face model folder (no {required})");
        }
        return Path.GetFullPath(folder);
    }

    /// <summary>The files the PATH arguments name: files as given, folders recursively without ignored names; each once.</summary>
    private static IReadOnlyList<string> Expand(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (var path in paths)
        {
            var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
            if (Directory.Exists(full)) files.AddRange(InboxPaths.EnumerateFiles(full));
            else if (File.Exists(full)) files.Add(full);
            else throw new CliException($"{path}: no such file or folder");
        }
        return files.Distinct(StringComparer.Ordinal).ToList();
    }
}
