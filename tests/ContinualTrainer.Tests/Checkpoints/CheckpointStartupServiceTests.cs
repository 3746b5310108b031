using ContinualTrainer.Checkpoints;
using ContinualTrainer.Configuration;
using ContinualTrainer.Hosting;
using ContinualTrainer.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace ContinualTrainer.Tests.Checkpoints;

public sealed class CheckpointStartupServiceTests
{
    private static async Task<(StartupResult Result, StatusBoard Board)> StartAsync(CheckpointHarness h, string? baseModel, CheckpointMetrics? metrics = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Model:Base"] = baseModel }).Build();
        var options = DaemonOptionsLoader.Bind(configuration, null, h.Dir.File("state"));
        var board = new StatusBoard();
        var service = new CheckpointStartupService(options, h.Repository, board, NullLogger<CheckpointStartupService>.Instance, metrics);
        await service.StartAsync(CancellationToken.None);
        try
        {
            return (await service.Started.WaitAsync(TimeSpan.FromSeconds(60)), board);
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task The_daemon_registers_its_base_model_as_v0_and_serves_it()
    {
        using var dir = new TempDir();
        var h = await CheckpointHarness.CreateAsync(dir);
        var model = TestModels.WriteModel(dir.File("base"), seed: 1);

        var (result, board) = await StartAsync(h, model);

        Assert.Equal(0, result.Serving!.Version);
        Assert.Equal(0, h.Local.ReadCurrent());
        Assert.Contains("model v0", board.Line);
    }

    [Fact]
    public async Task A_fallback_at_start_up_shows_on_the_status_line()
    {
        using var dir = new TempDir();
        var h = await CheckpointHarness.CreateAsync(dir);
        await h.RegisterBaseAsync();
        await h.PublishAsync(12);
        CheckpointHarness.FlipByte(Path.Combine(h.Local.VersionDirectory(1), "model.safetensors"));

        var registry = new ContinualTrainer.Metrics.MetricsRegistry();
        var (result, board) = await StartAsync(h, null, new CheckpointMetrics(registry));

        Assert.Equal((0, 1), (result.Serving!.Version, result.FellBackFrom!.Value));
        Assert.Contains("model v0 (FELL BACK from v1: it failed verification)", board.Line);
        Assert.Contains("continual_trainer_checkpoint_startup_fallback 1\n", registry.Render());
    }
}
