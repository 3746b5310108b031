using System.CommandLine;

namespace ContinualTrainer.Cli;

/// <summary>Options accepted by every verb (declared once on the root command, recursive).</summary>
public static class GlobalOptions
{
    public static readonly Option<string?> State = new("--state")
    {
        Description = "State folder (database, inbox, checkpoints). Default: Paths:State from the configuration, "
            + "else $STATE_DIRECTORY (systemd), else ./var",
        HelpName = "DIR",
        Recursive = true,
    };

    public static readonly Option<string?> Config = new("--config")
    {
        Description = "Configuration file (JSON, comments allowed). Default: /etc/continual-trainer/appsettings.json when it exists; "
            + "environment variables CONTINUAL_TRAINER__Section__Key override it",
        HelpName = "FILE",
        Recursive = true,
    };
}
