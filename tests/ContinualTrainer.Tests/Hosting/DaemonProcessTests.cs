using System.Diagnostics;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Hosting;

/// <summary>The real daemon in a child process, with a real notify socket and real signals.</summary>
public sealed class DaemonProcessTests
{
    private static Dictionary<string, string?> Environment(NotifySocket socket) => new()
    {
        ["NOTIFY_SOCKET"] = socket.Name,
        // A free port: several test processes may run at once.
        ["CONTINUAL_TRAINER__Metrics__Listen"] = "127.0.0.1:0",
    };

    [Theory]
    [InlineData(DaemonProcess.SIGTERM)]
    [InlineData(DaemonProcess.SIGINT)]
    public async Task Run_in_an_empty_folder_is_ready_within_5s_and_stops_cleanly_on_a_signal(int signal)
    {
        using var dir = new TempDir();
        using var socket = new NotifySocket(dir.Path);
        var started = Stopwatch.StartNew();
        using var daemon = DaemonProcess.Start(dir.Path, Environment(socket), "run");

        Assert.True(await socket.WaitForAsync("READY=1", TimeSpan.FromSeconds(5)), "no READY=1 within 5 s: " + daemon.Output);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Contains(socket.Messages, m => m.Contains("STATUS=idle") && m.Contains("waiting: a model"));

        daemon.Signal(signal);
        Assert.True(await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10)), "did not exit within 10 s: " + daemon.Output);
        Assert.Equal(0, daemon.ExitCode);
        Assert.True(await socket.WaitForAsync("STOPPING=1", TimeSpan.FromSeconds(1)));

        var state = Path.Combine(dir.Path, "var");
        Assert.True(File.Exists(Path.Combine(state, "state.db")));
        Assert.True(Directory.Exists(Path.Combine(state, "inbox", "agent-logs")));
        Assert.True(Directory.Exists(Path.Combine(state, "inbox", "transcripts")));
        Assert.True(Directory.Exists(Path.Combine(state, "checkpoints")));
        Assert.Empty(Directory.GetFiles(state, "*.tmp*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Watchdog_pings_arrive_at_half_the_requested_interval()
    {
        using var dir = new TempDir();
        using var socket = new NotifySocket(dir.Path);
        var environment = Environment(socket);
        environment["WATCHDOG_USEC"] = "1000000"; // 1 s: pings every 0.5 s
        using var daemon = DaemonProcess.Start(dir.Path, environment, "run");

        Assert.True(await socket.WaitForAsync("READY=1", TimeSpan.FromSeconds(5)), daemon.Output);
        await Task.Delay(2500);
        var pings = socket.Count("WATCHDOG=1");
        Assert.InRange(pings, 3, 7);
        daemon.Signal(DaemonProcess.SIGTERM);
        Assert.True(await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10)), daemon.Output);
    }

    [Fact]
    public async Task A_second_daemon_on_the_same_state_folder_is_refused()
    {
        using var dir = new TempDir();
        using var socket = new NotifySocket(dir.Path);
        using var first = DaemonProcess.Start(dir.Path, Environment(socket), "run");
        Assert.True(await socket.WaitForAsync("READY=1", TimeSpan.FromSeconds(5)), first.Output);

        var (exitCode, output) = await DaemonProcess.RunToEndAsync(dir.Path, new Dictionary<string, string?> { ["CONTINUAL_TRAINER__Metrics__Listen"] = "127.0.0.1:0" }, TimeSpan.FromSeconds(20), "run");
        Assert.Equal(1, exitCode);
        Assert.Contains($"another continual-trainer daemon (pid {first.Id}) is running on state folder", output);

        var status = await DaemonProcess.RunToEndAsync(dir.Path, new Dictionary<string, string?>(), TimeSpan.FromSeconds(20), "status", "--json");
        Assert.Equal(0, status.ExitCode);
        Assert.Contains("\"daemon_running\":true", status.Output);

        first.Signal(DaemonProcess.SIGTERM);
        Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_bad_configuration_value_stops_the_daemon_with_one_line_and_exit_1()
    {
        using var dir = new TempDir();
        var config = dir.Write("appsettings.json", """{ "Metrics": { "Listen": "everywhere" } }""");
        var (exitCode, output) = await DaemonProcess.RunToEndAsync(dir.Path, new Dictionary<string, string?>(), TimeSpan.FromSeconds(20), "run", "--config", config);
        Assert.Equal(1, exitCode);
        Assert.Equal("configuration error: Metrics:Listen = 'everywhere' is not valid: expected an address and port such as 127.0.0.1:9464 or [::1]:9464", output.Trim());
    }

    [ToolFact("promtool")]
    public async Task Serves_metrics_that_promtool_accepts_and_status_names_the_listener()
    {
        using var dir = new TempDir();
        using var socket = new NotifySocket(dir.Path);
        using var daemon = DaemonProcess.Start(dir.Path, Environment(socket), "run");
        Assert.True(await socket.WaitForAsync("READY=1", TimeSpan.FromSeconds(5)), daemon.Output);

        // The daemon records its address just after READY=1 (once the server reports it): allow it a moment.
        string? url = null;
        for (var attempt = 0; attempt < 20 && url is null; attempt++)
        {
            if (attempt > 0) await Task.Delay(250);
            var status = await DaemonProcess.RunToEndAsync(dir.Path, new Dictionary<string, string?>(), TimeSpan.FromSeconds(20), "status", "--json");
            using var json = System.Text.Json.JsonDocument.Parse(status.Output);
            url = json.RootElement.GetProperty("listen_url").GetString();
        }
        Assert.StartsWith("http://127.0.0.1:", url);

        using var http = new HttpClient { BaseAddress = new Uri(url!) };
        using var response = await http.GetAsync("/metrics");
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("continual_trainer_build_info{", text);
        Assert.Contains("process_resident_memory_bytes ", text);
        var (exitCode, output) = await Promtool.RunAsync(text, "check", "metrics");
        Assert.True(exitCode == 0, output);
        Assert.Equal("", output);

        daemon.Signal(DaemonProcess.SIGTERM);
        Assert.True(await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10)), daemon.Output);
        Assert.Equal(0, daemon.ExitCode);
    }
}
