using ContinualTrainer.Configuration;
using ContinualTrainer.State;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ContinualTrainer.Hosting;

/// <summary>
/// The daemon's main loop: one turn a second it beats <see cref="LoopHealth"/> (which feeds the systemd
/// watchdog), refreshes what the daemon waits for, and stores the status line for <c>continual-trainer status</c>.
/// </summary>
public sealed partial class DaemonLoop(
    DaemonOptions options,
    StatusBoard board,
    LoopHealth health,
    MetaStore meta,
    ILogger<DaemonLoop> logger) : BackgroundService
{
    public static readonly TimeSpan TurnInterval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        board.SetWaiting(WaitingFor(options));
        board.SetPhase("idle");
        LogStarted(logger, options.Paths.State, board.Line);
        string? stored = null;
        using var timer = new PeriodicTimer(TurnInterval);
        do
        {
            health.Beat();
            var line = board.Line;
            if (line != stored)
            {
                await meta.SetAsync(MetaStore.Keys.StatusLine, line, stoppingToken).ConfigureAwait(false);
                stored = line;
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>What training waits for, in words, or null when nothing is missing.</summary>
    public static string? WaitingFor(DaemonOptions options) =>
        options.Model.Base is null ? "a model (run `continual-trainer init`, or set Model:Base to a Hugging Face model directory)" : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "daemon running on state folder {State}: {Status}")]
    private static partial void LogStarted(ILogger logger, string state, string status);
}
