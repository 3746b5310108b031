using System.Net.Http.Headers;
using System.Text;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Hosting.Api;

/// <summary>
/// The real daemon (no model) as a child process on a free port, on a given state folder, ready (READY=1) when
/// <see cref="StartAsync"/> returns, with an <see cref="HttpClient"/> that always connects to 127.0.0.1.
/// </summary>
internal sealed class ApiDaemon : IDisposable
{
    private readonly TempDir socketDir;
    private readonly NotifySocket socket;

    private ApiDaemon(TempDir socketDir, NotifySocket socket, DaemonProcess process, int port)
    {
        this.socketDir = socketDir;
        this.socket = socket;
        Process = process;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    }

    public DaemonProcess Process { get; }
    public HttpClient Http { get; }

    /// <param name="host">The address the daemon listens on (127.0.0.1, or 0.0.0.0 for "beyond loopback").</param>
    public static async Task<ApiDaemon> StartAsync(string stateDirectory, string host = "127.0.0.1", string? tokenFile = null)
    {
        var port = FreePort.Next();
        var socketDir = new TempDir();
        var socket = new NotifySocket(socketDir.Path);
        var process = DaemonProcess.Start(socketDir.Path, Environment(stateDirectory, $"{host}:{port}", tokenFile, socket.Name), "run");
        var daemon = new ApiDaemon(socketDir, socket, process, port);
        if (!await socket.WaitForAsync("READY=1", TimeSpan.FromSeconds(20)))
        {
            daemon.Dispose();
            throw new InvalidOperationException("the daemon did not get ready within 20 s: " + process.Output);
        }
        return daemon;
    }

    /// <summary>Runs a daemon that is expected to refuse to start; its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunRefusedAsync(string stateDirectory, string host, string? tokenFile)
    {
        using var dir = new TempDir();
        return await DaemonProcess.RunToEndAsync(dir.Path, Environment(stateDirectory, $"{host}:{FreePort.Next()}", tokenFile, null), TimeSpan.FromSeconds(30), "run");
    }

    public static Dictionary<string, string?> Environment(string stateDirectory, string listen, string? tokenFile, string? notifySocket)
    {
        var environment = new Dictionary<string, string?>
        {
            ["CONTINUAL_TRAINER__Paths__State"] = stateDirectory,
            ["CONTINUAL_TRAINER__Metrics__Listen"] = listen,
        };
        if (tokenFile is not null) environment["CONTINUAL_TRAINER__Metrics__AdminTokenFile"] = tokenFile;
        if (notifySocket is not null) environment["NOTIFY_SOCKET"] = notifySocket;
        return environment;
    }

    /// <summary>Sends a request and returns its status, headers and parsed JSON body.</summary>
    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, HttpContent? content = null, string? bearer = null, Action<HttpRequestMessage>? adjust = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        adjust?.Invoke(request);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new ApiResponse(response.StatusCode, response.Content.Headers.ContentType?.MediaType, response.Headers, text);
    }

    public Task<ApiResponse> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<ApiResponse> PostAsync(string path, string? json = null, string? bearer = null) =>
        SendAsync(HttpMethod.Post, path, json is null ? null : new StringContent(json, Encoding.UTF8, "application/json"), bearer);

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Signal(DaemonProcess.SIGTERM);
            Process.WaitForExitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        }
        Process.Dispose();
        Http.Dispose();
        socket.Dispose();
        socketDir.Dispose();
    }
}
