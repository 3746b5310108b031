using System.CommandLine;

namespace ContinualTrainer.Cli.Bench;

/// <summary>
/// <c>continual-trainer bench ...</c>: throughput measurements on this machine (never run by the tests).
/// Each subcommand lives in its own file in this folder and is registered here.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Measure throughput on this machine (tokenizer, forward pass, training step, ingestion)");
        command.Subcommands.Add(BenchEvalCommand.Create());
        command.Subcommands.Add(BenchTrainCommand.Create());
        command.Subcommands.Add(BenchTokenizeCommand.Create());
        command.Subcommands.Add(BenchIngestCommand.Create());
        return command;
    }
}
