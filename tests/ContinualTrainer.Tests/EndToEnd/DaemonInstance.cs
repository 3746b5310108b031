using System.Diagnostics;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using ContinualTrainer.Tests.Hosting.Api;

namespace ContinualTrainer.Tests.EndToEnd;

/// <summary>
/// One <c>continual-trainer run</c> of the published executable on the workspace's configuration: its output goes
/// to the scenario's <see cref="ProcessLog"/>, it is reached only from outside (the admin API and /metrics over
/// loopback HTTP, the CLI verbs, signals), and it is stopped with a real SIGTERM.
/// </summary>
internal sealed partial class DaemonInstance : IDisposable
{
    private const int SIGTERM = 15;

    private readonly Process process;
    private readonly HttpClient http;

    private DaemonInstance(string name, PublishedDaemon published, EndToEndWorkspace workspace, Process process)
    {
        Name = name;
        Published = published;
        Workspace = workspace;
        this.process = process;
        http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{workspace.Port}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public string Name { get; }
    public PublishedDaemon Published { get; }
    public EndToEndWorkspace Workspace { get; }
    public int Id => process.Id;

    /// <summary>Starts the daemon (<paramref name="environment"/>: e.g. <c>CONTINUAL_TRAINER__Section__Key</c> overrides) and waits until its API answers.</summary>
    public static async Task<DaemonInstance> StartAsync(string name, PublishedDaemon published, EndToEndWorkspace workspace, ProcessLog log,
        IReadOnlyDictionary<string, string> environment, TimeSpan readyWithin)
    {
        var process = Process.Start(published.StartInfo(environment, "run", "--config", workspace.Config))
            ?? throw new InvalidOperationException($"{published.Executable} did not start");
        process.OutputDataReceived += (_, e) => log.Add(name, e.Data);
        process.ErrorDataReceived += (_, e) => log.Add(name, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var daemon = new DaemonInstance(name, published, workspace, process);
        try
        {
            await Poll.UntilAsync($"{name} answering GET /api/status", readyWithin, daemon.AnswersAsync, answers => answers);
            return daemon;
        }
        catch
        {
            daemon.Dispose();
            throw;
        }
    }

    public async Task<ApiResponse> GetAsync(string path) => await SendAsync(new HttpRequestMessage(HttpMethod.Get, path));

    /// <summary>GET that must answer 200; the parsed body.</summary>
    public async Task<JsonElement> GetJsonAsync(string path)
    {
        var response = await GetAsync(path);
        if (response.Status != System.Net.HttpStatusCode.OK) throw new InvalidOperationException($"GET {path}: {(int)response.Status} {response.Body}");
        return response.Json.Clone();
    }

    /// <summary>POST with an optional JSON body; with the workspace's bearer token unless <paramref name="authorized"/> is false.</summary>
    public async Task<ApiResponse> PostAsync(string path, string? json = null, bool authorized = true)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (authorized) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Workspace.Token);
        return await SendAsync(request);
    }

    public async Task<MetricSamples> MetricsAsync()
    {
        var response = await GetAsync("/metrics");
        if (response.Status != System.Net.HttpStatusCode.OK) throw new InvalidOperationException($"GET /metrics: {(int)response.Status} {response.Body}");
        return MetricSamples.Parse(response.Body);
    }

    /// <summary>A CLI verb of the same executable on the same configuration (works whether or not this daemon still runs).</summary>
    public Task<(int ExitCode, string Stdout, string Stderr)> VerbAsync(params string[] arguments) => Published.RunVerbAsync(Workspace.Config, arguments);

    /// <summary>Sends SIGTERM and returns the exit code; throws when the daemon is still running after <paramref name="timeout"/>.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (Kill(process.Id, SIGTERM) != 0) throw new InvalidOperationException($"kill({process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} was still running {timeout.TotalSeconds:0} s after SIGTERM");
        }
        process.WaitForExit(); // drains the redirected output into the log
        return process.ExitCode;
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        process.Dispose();
        http.Dispose();
    }

    private async Task<ApiResponse> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            if (process.HasExited) throw new InvalidOperationException($"{Name} has exited with code {process.ExitCode}");
            using var response = await http.SendAsync(request);
            return new ApiResponse(response.StatusCode, response.Content.Headers.ContentType?.MediaType, response.Headers, await response.Content.ReadAsStringAsync());
        }
    }

    private async Task<bool> AnswersAsync()
    {
        try
        {
            return (await GetAsync("/api/status")).Status == System.Net.HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false; // not listening yet
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
