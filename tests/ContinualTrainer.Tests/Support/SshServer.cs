using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ContinualTrainer.Configuration;

namespace ContinualTrainer.Tests.Support;

/// <summary>
/// A real OpenSSH server for storage-host tests: Debian's sshd run by the test as the current user on a free
/// loopback port, with its own config, a throwaway host key, one authorized client key and a known_hosts file
/// for the client — everything inside the test's folder. <see cref="Stop"/> kills sshd and every session it
/// forked (the host "goes down"); <see cref="Start"/> brings it back on the same port.
/// </summary>
public sealed class SshServer : IDisposable
{
    private static readonly Lazy<string?> skipReason = new(FindSkipReason);
    private readonly string directory;
    private readonly StringBuilder log = new();
    private Process? process;

    private SshServer(string directory, int port)
    {
        this.directory = directory;
        Port = port;
    }

    /// <summary>Why the ssh tests cannot run here, or null when they can (sshd, ssh, ssh-keygen and rsync present, /run/sshd usable).</summary>
    public static string? SkipReason => skipReason.Value;

    public int Port { get; }
    public string User => Environment.UserName;
    public string ClientKey => Path.Combine(directory, "client_key");
    public string KnownHosts => Path.Combine(directory, "known_hosts");
    public bool IsRunning => process is { HasExited: false };

    /// <summary>sshd's own log (stderr, -e), for assertion messages.</summary>
    public string Log
    {
        get { lock (log) return log.ToString(); }
    }

    /// <summary>Generates the keys and config in <paramref name="directory"/> (created), then starts sshd.</summary>
    public static async Task<SshServer> CreateAsync(string directory)
    {
        if (SkipReason is { } reason) throw new InvalidOperationException(reason);
        Directory.CreateDirectory(directory);
        var server = new SshServer(directory, FreePort());
        await Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ct-test-host", "-f", Path.Combine(directory, "host_key"));
        await Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ct-test-client", "-f", server.ClientKey);
        File.Copy(server.ClientKey + ".pub", Path.Combine(directory, "authorized_keys"));
        var hostKey = File.ReadAllText(Path.Combine(directory, "host_key.pub")).Split(' ');
        File.WriteAllText(server.KnownHosts, $"[127.0.0.1]:{server.Port} {hostKey[0]} {hostKey[1]}\n");
        File.WriteAllText(Path.Combine(directory, "sshd_config"), $"""
            Port {server.Port}
            ListenAddress 127.0.0.1
            HostKey {Path.Combine(directory, "host_key")}
            PidFile {Path.Combine(directory, "sshd.pid")}
            AuthorizedKeysFile {Path.Combine(directory, "authorized_keys")}
            UsePAM no
            StrictModes no
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            AllowUsers {server.User}
            MaxStartups 100
            LogLevel INFO
            """);
        await server.StartAsync();
        return server;
    }

    /// <summary>The daemon's options for this server, storing under <paramref name="remotePath"/>.</summary>
    public CheckpointsSshOptions Options(string remotePath, int bandwidthLimitKiBps = 0) => new()
    {
        Host = "127.0.0.1",
        User = User,
        Port = Port,
        Path = remotePath,
        IdentityFile = ClientKey,
        KnownHostsFile = KnownHosts,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        IoTimeout = TimeSpan.FromSeconds(20),
        RetryMin = TimeSpan.FromMilliseconds(200),
        RetryMax = TimeSpan.FromSeconds(1),
        BandwidthLimitKiBps = bandwidthLimitKiBps,
    };

    /// <summary>Starts sshd and waits until it listens.</summary>
    public async Task StartAsync()
    {
        if (IsRunning) return;
        var info = new ProcessStartInfo(Tools.Find("sshd")!)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-D", "-e", "-f", Path.Combine(directory, "sshd_config") }) info.ArgumentList.Add(argument);
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process = Process.Start(info) ?? throw new InvalidOperationException("sshd did not start");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (log) log.AppendLine(e.Data);
            if (e.Data.Contains("Server listening on", StringComparison.Ordinal)) listening.TrySetResult();
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(20)));
        if (first != listening.Task) throw new InvalidOperationException($"sshd did not start listening on port {Port}: {Log}");
    }

    /// <summary>The host goes down: sshd and every session process it started are killed.</summary>
    public void Stop()
    {
        if (process is null) return;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        process.Dispose();
        process = null;
    }

    public void Dispose() => Stop();

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task Run(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var child = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start");
        var stderr = child.StandardError.ReadToEndAsync();
        await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        if (child.ExitCode != 0) throw new InvalidOperationException($"{program} failed: {await stderr}");
    }

    private static string? FindSkipReason()
    {
        foreach (var tool in new[] { "sshd", "ssh", "ssh-keygen", "rsync" })
        {
            if (Tools.Find(tool) is null) return $"{tool} is not installed on this machine (.ci/run installs openssh-server, openssh-client and rsync)";
        }
        // Debian's sshd refuses to start without its privilege separation directory.
        const string privsep = "/run/sshd";
        if (Directory.Exists(privsep)) return null;
        try
        {
            Directory.CreateDirectory(privsep);
            return null;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return $"{privsep} (sshd's privilege separation directory) is missing and cannot be created: {e.Message}";
        }
    }
}
