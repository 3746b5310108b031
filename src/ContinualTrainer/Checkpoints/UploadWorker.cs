using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ContinualTrainer.Checkpoints;

/// <summary>
/// The daemon's background uploader (registered only when a storage host is configured): restarts interrupted
/// uploads, then runs <see cref="CheckpointUploader"/> passes — at once when a version is published or
/// <c>current</c> moves, when a retry falls due, and at least every <see cref="IdlePoll"/> (to notice changes made
/// by the CLI in another process).
/// </summary>
public sealed partial class UploadWorker(CheckpointRepository repository, CheckpointUploader uploader, ILogger<UploadWorker> logger) : BackgroundService
{
    public static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim wake = new(0, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        repository.Changed += Wake;
        try
        {
            await repository.Ledger.ResetInterruptedUploadsAsync(stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                DateTimeOffset? retryAt;
                try
                {
                    retryAt = await uploader.RunOnceAsync(stoppingToken);
                }
                catch (Exception e) when (e is CheckpointException or State.StateDatabaseException or IOException)
                {
                    LogPassFailed(logger, e.Message);
                    retryAt = DateTimeOffset.UtcNow + repository.Remote!.Options.RetryMin;
                }
                var wait = retryAt is { } at ? at - DateTimeOffset.UtcNow : IdlePoll;
                if (wait > IdlePoll) wait = IdlePoll;
                if (wait > TimeSpan.Zero) await wake.WaitAsync(wait, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping; an upload in flight resumes at the next start
        }
        finally
        {
            repository.Changed -= Wake;
        }
    }

    private void Wake()
    {
        try
        {
            wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // already signalled
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "upload pass failed: {Error}")]
    private static partial void LogPassFailed(ILogger logger, string error);
}
