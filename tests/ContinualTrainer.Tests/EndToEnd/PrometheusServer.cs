using System.Diagnostics;
using System.Text.Json;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.EndToEnd;

/// <summary>
/// Debian's Prometheus server on a free loopback port, scraping the daemon every second as job
/// <c>continual-trainer</c> and evaluating the shipped alerting rules every second; asked through its HTTP API.
/// </summary>
internal sealed class PrometheusServer : IDisposable
{
    public const string Job = "continual-trainer";
    private const string LogSource = "prometheus";

    private readonly Process process;
    private readonly HttpClient http;

    private PrometheusServer(Process process, int port)
    {
        this.process = process;
        http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>Starts the server in <paramref name="directory"/> (created) scraping 127.0.0.1:<paramref name="targetPort"/>; returns once it is ready.</summary>
    public static async Task<PrometheusServer> StartAsync(string directory, int targetPort, string rulesFile, ProcessLog log, TimeSpan readyWithin)
    {
        Directory.CreateDirectory(directory);
        var port = FreePort.Next();
        var config = Path.Combine(directory, "prometheus.yml");
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files:
              - {rulesFile}
            scrape_configs:
              - job_name: {Job}
                static_configs:
                  - targets: ["127.0.0.1:{targetPort}"]
            """);
        var info = new ProcessStartInfo(Tools.Find("prometheus") ?? throw new InvalidOperationException("prometheus is not installed"))
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory, "tsdb")}", $"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=1h", "--log.level=warn",
        }) info.ArgumentList.Add(argument);
        var process = Process.Start(info) ?? throw new InvalidOperationException("prometheus did not start");
        process.OutputDataReceived += (_, e) => log.Add(LogSource, e.Data);
        process.ErrorDataReceived += (_, e) => log.Add(LogSource, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PrometheusServer(process, port);
        try
        {
            await Poll.UntilAsync("prometheus ready (GET /-/ready)", readyWithin, server.IsReadyAsync, ready => ready);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>The expression of alerting rule <paramref name="alert"/> as the server loaded it from the rules file.</summary>
    public async Task<string> AlertExpressionAsync(string alert)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync("/api/v1/rules?type=alert"));
        var rules = document.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("rules").EnumerateArray());
        var rule = rules.FirstOrDefault(r => r.GetProperty("name").GetString() == alert);
        if (rule.ValueKind != JsonValueKind.Object) throw new InvalidOperationException($"prometheus has no alerting rule {alert}");
        return rule.GetProperty("query").GetString()!;
    }

    /// <summary>The instant vector <paramref name="expression"/> evaluates to now (<c>data.result</c> of <c>/api/v1/query</c>).</summary>
    public async Task<JsonElement> QueryAsync(string expression)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync("/api/v1/query?query=" + Uri.EscapeDataString(expression)));
        return document.RootElement.GetProperty("data").GetProperty("result").Clone();
    }

    /// <summary>The state of alert <paramref name="alert"/> (<c>pending</c>, <c>firing</c>), or null while it is inactive.</summary>
    public async Task<string?> AlertStateAsync(string alert)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync("/api/v1/alerts"));
        var active = document.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray()
            .FirstOrDefault(a => a.GetProperty("labels").GetProperty("alertname").GetString() == alert);
        return active.ValueKind == JsonValueKind.Object ? active.GetProperty("state").GetString() : null;
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit(10_000);
        }
        process.Dispose();
        http.Dispose();
    }

    private async Task<bool> IsReadyAsync()
    {
        if (process.HasExited) throw new InvalidOperationException($"prometheus exited with code {process.ExitCode}");
        try
        {
            using var response = await http.GetAsync("/-/ready");
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false; // not listening yet
        }
    }
}
