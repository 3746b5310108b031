using System.Diagnostics;

namespace ContinualTrainer.Tests.EndToEnd;

/// <summary>
/// The daemon as it ships: <c>dotnet publish src/ContinualTrainer -c Release</c> into a folder, and its
/// <c>continual-trainer</c> executable started as separate processes, with the variables a test host or a
/// service manager may have set (configuration overrides, systemd's) removed from their environment.
/// </summary>
internal sealed class PublishedDaemon
{
    public static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan VerbTimeout = TimeSpan.FromSeconds(60);

    private static readonly string[] InheritedVariables =
        ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "INVOCATION_ID", "JOURNAL_STREAM", "STATE_DIRECTORY"];

    private PublishedDaemon(string executable) => Executable = executable;

    public string Executable { get; }

    /// <summary>
    /// Publishes the daemon into <paramref name="outputDirectory"/>. Built with the same artifacts folder as the test
    /// assembly (when it was built with <c>--artifacts-path</c>), the build step finds everything up to date.
    /// </summary>
    public static async Task<PublishedDaemon> PublishAsync(string outputDirectory)
    {
        var info = new ProcessStartInfo("dotnet");
        string[] arguments =
        [
            "publish", Path.Combine(SharedFixtures.RepoRoot, "src", "ContinualTrainer"), "-c", "Release", "-o", outputDirectory, "--nologo", "-v", "quiet",
            .. ArtifactsRoot() is { } artifacts ? ["--artifacts-path", artifacts] : Array.Empty<string>(),
        ];
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        var (exitCode, stdout, stderr) = await RunToEndAsync(info, PublishTimeout);
        var executable = Path.Combine(outputDirectory, "continual-trainer");
        if (exitCode != 0 || !File.Exists(executable))
            throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} failed (exit code {exitCode}, {executable} {(File.Exists(executable) ? "present" : "missing")}): {stdout}{stderr}");
        return new PublishedDaemon(executable);
    }

    /// <summary>How to start the executable with <paramref name="arguments"/> and <paramref name="environment"/> on top of a cleaned environment.</summary>
    public ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = Path.GetDirectoryName(Executable)!,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("CONTINUAL_TRAINER__", StringComparison.Ordinal) || InheritedVariables.Contains(k)).ToList())
            info.Environment.Remove(key);
        foreach (var (key, value) in environment) info.Environment[key] = value;
        return info;
    }

    /// <summary>Runs one verb (<c>status --json</c>, <c>checkpoints list</c>, ...) with <c>--config</c> to completion.</summary>
    public async Task<(int ExitCode, string Stdout, string Stderr)> RunVerbAsync(string config, params string[] arguments) =>
        await RunToEndAsync(StartInfo(new Dictionary<string, string>(), [.. arguments, "--config", config]), VerbTimeout);

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunToEndAsync(ProcessStartInfo info, TimeSpan timeout)
    {
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{info.FileName} did not start");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{info.FileName} {string.Join(' ', info.ArgumentList)} did not finish within {timeout.TotalSeconds:0} s");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// The artifacts folder the test assembly was built into (<c>ROOT/bin/ContinualTrainer.Tests/release/</c>, with the
    /// daemon's intermediate files in <c>ROOT/obj/ContinualTrainer/</c>), or null for the default in-tree layout.
    /// </summary>
    private static string? ArtifactsRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "obj", "ContinualTrainer"))) return dir.FullName;
        }
        return null;
    }
}
