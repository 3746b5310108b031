using System.CommandLine;
using ContinualTrainer.Configuration;
using ContinualTrainer.Hosting;

namespace ContinualTrainer.Cli;

/// <summary><c>continual-trainer run</c>: the daemon, until SIGTERM/SIGINT.</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var command = new Command("run",
            "Run the daemon: watch the inbox folders, train on schedule, serve /metrics and the admin API. "
            + "Stops gracefully on SIGTERM/SIGINT (exit 0). Under systemd use Type=notify; the watchdog is honoured.");
        command.SetAction((parseResult, cancellationToken) =>
        {
            var options = DaemonOptionsLoader.Load(parseResult.GetValue(GlobalOptions.Config), parseResult.GetValue(GlobalOptions.State));
            return DaemonHost.RunAsync(options, cancellationToken);
        });
        return command;
    }
}
