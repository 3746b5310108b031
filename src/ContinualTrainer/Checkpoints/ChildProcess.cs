using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace ContinualTrainer.Checkpoints;

/// <summary>
/// Runs a program (ssh, rsync) with an argument vector — never through a local shell — optionally feeding it
/// stdin, capturing stdout and stderr up to a cap, and killing it (with its children) when cancelled.
/// </summary>
public static class ChildProcess
{
    /// <summary>Output beyond this is dropped (a listing of a few hundred files is a few tens of kilobytes).</summary>
    public const int MaxCapturedChars = 16 << 20;

    public static async Task<ChildProcessResult> RunAsync(string program, IReadOnlyList<string> arguments, string? stdin, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        // Predictable messages and no locale-dependent output from the remote tools.
        info.Environment["LC_ALL"] = "C";

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new CheckpointException($"{program} did not start");
        }
        catch (Win32Exception e)
        {
            throw new CheckpointException($"cannot run {program}: {e.Message} (is it installed? the ssh store needs openssh-client and rsync)", e);
        }
        using (process)
        {
            var stdout = ReadCappedAsync(process.StandardOutput);
            var stderr = ReadCappedAsync(process.StandardError);
            try
            {
                try
                {
                    if (stdin is not null) await process.StandardInput.WriteAsync(stdin.AsMemory(), cancellationToken);
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // The program exited before reading its input; its exit code and stderr say why.
                }
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Kill(process);
                throw;
            }
            return new ChildProcessResult(process.ExitCode, await stdout, await stderr);
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    private static async Task<string> ReadCappedAsync(StreamReader reader)
    {
        var text = new StringBuilder();
        var buffer = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            if (text.Length < MaxCapturedChars) text.Append(buffer, 0, Math.Min(read, MaxCapturedChars - text.Length));
        }
        return text.ToString();
    }
}
