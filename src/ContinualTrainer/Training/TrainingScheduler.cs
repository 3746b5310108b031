using System.Globalization;
using ContinualTrainer.Configuration;
using ContinualTrainer.State;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;

namespace ContinualTrainer.Training;

/// <summary>
/// Starts runs in the daemon: Quartz fires <see cref="TrainingRunJob"/> on <c>Schedule:Cron</c>; at start-up a
/// scheduled time that passed while the daemon was down fires once (the last scheduled fire is kept in the state
/// database, because the in-memory job store forgets it); run requests (<c>train --now</c>, <c>POST /api/train</c>)
/// are claimed at once (API) or within a second (another process). Runs left "running" by a crash are marked interrupted first.
/// </summary>
public sealed partial class TrainingScheduler(
    DaemonOptions options,
    ISchedulerFactory schedulers,
    RunStore runs,
    MetaStore meta,
    RunMetrics metrics,
    RunRequestSignal requests,
    ILogger<TrainingScheduler> logger) : BackgroundService
{
    public const string LastFireKey = "schedule.last_fire_utc";
    public static readonly TimeSpan RequestPoll = TimeSpan.FromSeconds(1);
    private readonly CancellationTokenSource stopping = new();

    /// <summary>Cancelled when the daemon stops: a run in progress ends as interrupted.</summary>
    public CancellationToken Stopping => stopping.Token;

    public async Task RecordScheduledFireAsync(CancellationToken cancellationToken) =>
        await meta.SetAsync(LastFireKey, DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture), cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var registration = stoppingToken.Register(stopping.Cancel);
        var abandoned = await runs.InterruptAbandonedAsync("the daemon stopped during the run", stoppingToken);
        if (abandoned > 0) LogAbandoned(logger, abandoned);
        var schedule = options.Schedule;
        metrics.SchedulePeriod.Set(schedule.Period(DateTimeOffset.UtcNow).TotalSeconds);
        if (await runs.LastAsync(RunResult.Accepted, stoppingToken) is { FinishedUtc: { } finished })
            metrics.LastSuccess.Set(finished.ToUnixTimeMilliseconds() / 1000.0);

        var scheduler = await schedulers.GetScheduler(stoppingToken);
        var next = new CronExpression(schedule.Cron, schedule.TimeZone).GetNextValidTimeAfter(DateTimeOffset.UtcNow);
        LogScheduled(logger, schedule.Cron, schedule.TimeZone.Id, next);

        // A scheduled time missed while the daemon was down fires once now.
        var lastFire = await meta.GetAsync(LastFireKey, stoppingToken);
        if (lastFire is null) await RecordScheduledFireAsync(stoppingToken);
        else
        {
            var previous = new CronExpression(schedule.Cron, schedule.TimeZone).GetPreviousValidTimeBefore(DateTimeOffset.UtcNow);
            if (previous is { } missed && missed > DateTimeOffset.Parse(lastFire, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind))
            {
                LogMisfire(logger, missed);
                await RecordScheduledFireAsync(stoppingToken);
                await scheduler.TriggerJob(TrainingRunJob.Key, new JobDataMap { [TrainingRunJob.TriggerData] = RunTrigger.Misfire.Name() }, stoppingToken);
            }
        }

        // Requests: one run serves every request pending when it starts.
        long? queued = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            var pending = await runs.PendingRequestAsync(stoppingToken);
            if (pending is { } request && request.Id != queued)
            {
                queued = request.Id;
                await scheduler.TriggerJob(TrainingRunJob.Key, new JobDataMap
                {
                    [TrainingRunJob.TriggerData] = RunTrigger.Manual.Name(),
                    [TrainingRunJob.RequestedByData] = request.RequestedBy,
                }, stoppingToken);
            }
            // Woken at once by POST /api/train; the poll catches requests written by `train --now` in another process.
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            wait.CancelAfter(RequestPoll);
            try
            {
                await requests.WaitAsync(wait.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }
        }
    }

    public override void Dispose()
    {
        stopping.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} run(s) were still marked running from before: now interrupted (nothing was published), retried at the next trigger")]
    private static partial void LogAbandoned(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "training scheduled by cron '{Cron}' ({Zone}); next run {Next:u}")]
    private static partial void LogScheduled(ILogger logger, string cron, string zone, DateTimeOffset? next);

    [LoggerMessage(Level = LogLevel.Information, Message = "the scheduled run of {Missed:u} was missed while the daemon was down: running it now")]
    private static partial void LogMisfire(ILogger logger, DateTimeOffset missed);
}
