using ContinualTrainer.Configuration;
using ContinualTrainer.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ContinualTrainer.Checkpoints;

/// <summary>
/// At daemon start, in the background (the daemon is ready meanwhile): registers <c>Model:Base</c> as v0 when the
/// store has no v0, then loads <c>current</c> verified — falling back loudly to the newest older version that
/// verifies — and shows the result on the status line. Then keeps the checkpoint metrics fresh.
/// <see cref="Started"/> completes with the version to serve (the training loop waits on it).
/// </summary>
public sealed partial class CheckpointStartupService(
    DaemonOptions options,
    CheckpointRepository repository,
    StatusBoard board,
    ILogger<CheckpointStartupService> logger,
    CheckpointMetrics? metrics = null) : BackgroundService
{
    public const string StatusFact = "checkpoint";

    public static readonly TimeSpan MetricsInterval = TimeSpan.FromSeconds(15);

    private readonly TaskCompletionSource<StartupResult> started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The start-up outcome; faulted with a <see cref="CheckpointException"/> when no version verifies.</summary>
    public Task<StartupResult> Started => started.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            board.SetFact(StatusFact, "checkpoints: verifying");
            if (options.Model.Base is { } baseModel) await repository.RegisterBaseAsync(baseModel, stoppingToken);
            var result = await repository.StartupAsync(stoppingToken);
            metrics?.SetFallback(result.FallbackReason is not null);
            board.SetFact(StatusFact, result switch
            {
                { Serving: null } => null,
                { FellBackFrom: { } from } => $"model {result.Serving.Name} (FELL BACK from v{from}: it failed verification)",
                { FellBackFrom: null, FallbackReason: not null } => $"model {result.Serving.Name} (FELL BACK: no usable current)",
                _ => $"model {result.Serving.Name}",
            });
            started.TrySetResult(result);
        }
        catch (CheckpointException e)
        {
            LogNoVersion(logger, e.Message);
            board.SetFact(StatusFact, "NO USABLE CHECKPOINT (see the log)");
            started.TrySetException(e);
        }
        catch (OperationCanceledException)
        {
            started.TrySetCanceled(stoppingToken);
            return;
        }

        using var timer = new PeriodicTimer(MetricsInterval);
        try
        {
            do
            {
                await repository.RefreshMetricsAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "no checkpoint can be served: {Error}")]
    private static partial void LogNoVersion(ILogger logger, string error);
}
