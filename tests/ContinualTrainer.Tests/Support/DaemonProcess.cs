using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using ContinualTrainer.Cli;

namespace ContinualTrainer.Tests.Support;

/// <summary>
/// The real daemon as a child process (<c>dotnet continual-trainer.dll ...</c>), with its output captured,
/// so tests can send it real signals.
/// </summary>
public sealed partial class DaemonProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private DaemonProcess(Process process)
    {
        this.process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static string EntryAssembly => typeof(CliApp).Assembly.Location;

    public static DaemonProcess Start(string workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(EntryAssembly);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("CONTINUAL_TRAINER__", StringComparison.Ordinal) || k is "NOTIFY_SOCKET" or "WATCHDOG_USEC" or "WATCHDOG_PID" or "INVOCATION_ID" or "JOURNAL_STREAM" or "STATE_DIRECTORY").ToList())
            info.Environment.Remove(key);
        foreach (var (key, value) in environment) info.Environment[key] = value;
        return new DaemonProcess(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    /// <summary>Runs the program to completion and returns its exit code and combined output.</summary>
    public static async Task<(int ExitCode, string Output)> RunToEndAsync(string workingDirectory, IReadOnlyDictionary<string, string?> environment, TimeSpan timeout, params string[] args)
    {
        using var daemon = Start(workingDirectory, environment, args);
        var exited = await daemon.WaitForExitAsync(timeout);
        if (!exited) throw new TimeoutException($"continual-trainer {string.Join(' ', args)} did not exit within {timeout}: {daemon.Output}");
        return (daemon.ExitCode, daemon.Output);
    }

    public int Id => process.Id;
    public int ExitCode => process.ExitCode;
    public bool HasExited => process.HasExited;

    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    public void Signal(int signal)
    {
        if (Kill(process.Id, signal) != 0) throw new InvalidOperationException($"kill({process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
            process.WaitForExit(); // drain redirected output
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            try
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }
        }
        process.Dispose();
    }

    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int SIGINT = 2;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
