using System.CommandLine;
using System.Reflection;
using ContinualTrainer.Engine;

namespace ContinualTrainer.Cli;

/// <summary><c>continual-trainer version</c>: the program, engine and runtime versions.</summary>
public static class VersionCommand
{
    public static string ProgramVersion =>
        typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";

    public static Command Create()
    {
        var command = new Command("version", "Print the program, engine and .NET runtime versions");
        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine($"continual-trainer {ProgramVersion}");
            output.WriteLine($"engine {EngineInfo.Version}");
            output.WriteLine($".NET {Environment.Version} on {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
            return ExitCodes.Success;
        });
        return command;
    }
}
