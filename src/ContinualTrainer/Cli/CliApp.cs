using System.CommandLine;
using ContinualTrainer.Cli.Bench;
using ContinualTrainer.Checkpoints;
using ContinualTrainer.Configuration;
using ContinualTrainer.Dataset;
using ContinualTrainer.Engine.IO;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Guard;
using ContinualTrainer.State;

namespace ContinualTrainer.Cli;

/// <summary>
/// The command line: builds the verb tree, runs the chosen verb, and maps failures to one line on stderr
/// and an exit code (0 success, 1 failure, 2 usage error).
/// </summary>
public static class CliApp
{
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "continual-trainer: keeps a local LLM learning from its agent logs and transcripts without forgetting.\n"
            + "Run 'continual-trainer run' as a daemon (systemd: Type=notify), or use the verbs below once.");
        root.Options.Add(GlobalOptions.State);
        root.Options.Add(GlobalOptions.Config);

        root.Subcommands.Add(InitCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(DatasetCommand.Create());
        root.Subcommands.Add(IngestCommand.Create((options, database) => new ExampleDeriver(database, options.Dataset)));
        root.Subcommands.Add(CheckpointsCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(RunsCommand.Create());
        root.Subcommands.Add(VersionCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(PerplexityCommand.Create());
        root.Subcommands.Add(TokenizeCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var root = BuildRoot();
        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            foreach (var error in parseResult.Errors) stderr.WriteLine($"error: {error.Message}");
            var verb = parseResult.CommandResult.Command == root ? "" : " " + parseResult.CommandResult.Command.Name;
            stderr.WriteLine($"Try 'continual-trainer{verb} --help'.");
            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            EnableDefaultExceptionHandler = false,
            // The daemon handles SIGTERM/SIGINT itself through the Generic Host.
            ProcessTerminationTimeout = null,
        };
        try
        {
            return await parseResult.InvokeAsync(invocation, cancellationToken);
        }
        catch (CliException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return e.ExitCode;
        }
        catch (ConfigurationException e)
        {
            stderr.WriteLine($"configuration error: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (StateDatabaseException e)
        {
            stderr.WriteLine($"state database error: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is DatasetException or CheckpointException or GuardException or ModelConfigException
                                   or HfCheckpointException or SafeTensorsFormatException or InvalidDataException
                                   or IOException or UnauthorizedAccessException)
        {
            // Bad input files and unusable models: one line, never a stack trace.
            stderr.WriteLine($"error: {e.Message.ReplaceLineEndings(" ")}");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            stderr.WriteLine("cancelled");
            return ExitCodes.Failure;
        }
    }
}
