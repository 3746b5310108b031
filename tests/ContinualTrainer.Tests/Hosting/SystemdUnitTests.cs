using System.Diagnostics;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Hosting;

public sealed class SystemdUnitTests
{
    private static string UnitPath => Path.Combine(SharedFixtures.RepoRoot, "systemd", "continual-trainer.service");

    [Theory]
    [InlineData("Type=notify")]
    [InlineData("WatchdogSec=60s")]
    [InlineData("Restart=on-failure")]
    [InlineData("User=continual-trainer")]
    [InlineData("StateDirectory=continual-trainer")]
    [InlineData("ConfigurationDirectory=continual-trainer")]
    [InlineData("ExecStart=/opt/continual-trainer/continual-trainer run --config /etc/continual-trainer/appsettings.json")]
    [InlineData("NoNewPrivileges=yes")]
    [InlineData("ProtectSystem=strict")]
    [InlineData("ProtectHome=yes")]
    [InlineData("PrivateTmp=yes")]
    [InlineData("CapabilityBoundingSet=")]
    [InlineData("IOSchedulingClass=idle")]
    public void The_unit_declares(string directive)
    {
        var lines = File.ReadAllLines(UnitPath).Select(l => l.Trim());
        Assert.Contains(directive, lines);
    }

    [ToolFact("systemd-analyze")]
    public async Task The_unit_passes_systemd_analyze_verify()
    {
        using var dir = new TempDir();
        // verify checks that ExecStart's program exists: point it at the built program.
        var program = Path.Combine(AppContext.BaseDirectory, "continual-trainer");
        var unit = File.ReadAllText(UnitPath).Replace("/opt/continual-trainer/continual-trainer", program);
        var copy = dir.Write("continual-trainer.service", unit);

        var info = new ProcessStartInfo(Tools.Find("systemd-analyze")!) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("verify");
        info.ArgumentList.Add(copy);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = (await stdout + await stderr).Trim();

        // verify exits 0 even for directives it ignores: any line it prints is a finding.
        Assert.Equal(0, process.ExitCode);
        Assert.Equal("", output);
    }
}
