using System.Diagnostics;
using System.Text.Json;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Metrics;

/// <summary>A real Prometheus server (Debian's) scrapes a real daemon, and its query API returns the series.</summary>
public sealed class PrometheusScrapeTests
{
    [ToolFact("prometheus")]
    public async Task A_real_prometheus_scrapes_the_daemon_and_answers_queries()
    {
        using var dir = new TempDir();
        using var socket = new NotifySocket(dir.Path);
        var daemonPort = FreePort.Next();
        using var daemon = DaemonProcess.Start(dir.Path, new Dictionary<string, string?>
        {
            ["NOTIFY_SOCKET"] = socket.Name,
            ["CONTINUAL_TRAINER__Metrics__Listen"] = $"127.0.0.1:{daemonPort}",
        }, "run");
        Assert.True(await socket.WaitForAsync("READY=1", TimeSpan.FromSeconds(10)), daemon.Output);

        var prometheusPort = FreePort.Next();
        var config = dir.Write("prometheus.yml", $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: continual-trainer
                static_configs:
                  - targets: ["127.0.0.1:{daemonPort}"]
            """);
        var info = new ProcessStartInfo(Tools.Find("prometheus")!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dir.Path,
        };
        foreach (var arg in new[]
        {
            $"--config.file={config}", $"--storage.tsdb.path={dir.File("tsdb")}", $"--web.listen-address=127.0.0.1:{prometheusPort}",
            "--storage.tsdb.retention.time=1h", "--log.level=warn",
        }) info.ArgumentList.Add(arg);
        using var prometheus = Process.Start(info)!;
        var log = new System.Text.StringBuilder();
        prometheus.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        prometheus.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        prometheus.BeginErrorReadLine();
        prometheus.BeginOutputReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{prometheusPort}"), Timeout = TimeSpan.FromSeconds(5) };
            var build = await QueryUntilAsync(http, "continual_trainer_build_info", TimeSpan.FromSeconds(60));
            Assert.True(build is not null, "no continual_trainer_build_info series within 60 s: " + log);
            Assert.Equal("continual-trainer", build.Value.GetProperty("metric").GetProperty("job").GetString());
            Assert.Equal("1", build.Value.GetProperty("value")[1].GetString());

            var up = await QueryUntilAsync(http, "up{job=\"continual-trainer\"}", TimeSpan.FromSeconds(10));
            Assert.Equal("1", up!.Value.GetProperty("value")[1].GetString());
            var rss = await QueryUntilAsync(http, "process_resident_memory_bytes{job=\"continual-trainer\"}", TimeSpan.FromSeconds(10));
            Assert.True(double.Parse(rss!.Value.GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 1e6);
        }
        finally
        {
            prometheus.Kill();
            await prometheus.WaitForExitAsync();
            daemon.Signal(DaemonProcess.SIGTERM);
            await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }
    }

    private static async Task<JsonElement?> QueryUntilAsync(HttpClient http, string query, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var json = await http.GetStringAsync("/api/v1/query?query=" + Uri.EscapeDataString(query));
                using var document = JsonDocument.Parse(json);
                var result = document.RootElement.GetProperty("data").GetProperty("result");
                if (result.GetArrayLength() > 0) return result[0].Clone();
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(500);
        }
        return null;
    }
}
