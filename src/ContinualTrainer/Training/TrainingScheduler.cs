using System.Globalization;
using ContinualTrainer.Configuration;
using ContinualTrainer.State;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;

namespace ContinualTrainer.Training;

/// <summary>
/// Starts runs in the daemon: Quartz fires <see cref="TrainingRunJob"/> on <c>Schedule:Cron</c> (its job store is in the
/// state database, so a scheduled time that passed while the daemon was down fires once at start-up); run requests (<c>train --now</c>, <c>POST /api/train</c>)
/// are claimed at once (API) or within a second (another process). Runs left "running" by a crash are marked interrupted first.
/// </summary>
public sealed partial class TrainingScheduler(
    DaemonOptions options,
    ISchedulerFactory schedulers,
    RunStore runs,
    RunMetrics metrics,
    RunRequestSignal requests,
    ILogger<TrainingScheduler> logger) : BackgroundService
{
    public static readonly TimeSpan RequestPoll = TimeSpan.FromSeconds(1);
    private readonly CancellationTokenSource stopping = new();

    /// <summary>Cancelled when the daemon stops: a run in progress ends as interrupted.</summary>
    public CancellationToken Stopping => stopping.Token;

    /// <summary>Logs that Quartz is firing a scheduled time missed while the daemon was down.</summary>
    public void LogMisfire(DateTimeOffset missed) => LogMisfire(logger, missed);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var registration = stoppingToken.Register(stopping.Cancel);
        var abandoned = await runs.InterruptAbandonedAsync("the daemon stopped during the run", stoppingToken);
        if (abandoned > 0) LogAbandoned(logger, abandoned);
        var schedule = options.Schedule;
        metrics.SchedulePeriod.Set(schedule.Period(DateTimeOffset.UtcNow).TotalSeconds);
        metrics.MaxPerplexityIncrease.Set(options.Guard.MaxPerplexityIncrease);
        if (await runs.LastAsync(RunResult.Accepted, stoppingToken) is { FinishedUtc: { } finished })
            metrics.LastSuccess.Set(finished.ToUnixTimeMilliseconds() / 1000.0);

        var scheduler = await schedulers.GetScheduler(stoppingToken);
        var next = await EnsureCronTriggerAsync(scheduler, stoppingToken);
        LogScheduled(logger, schedule.Cron, schedule.TimeZone.Id, next < DateTimeOffset.UtcNow ? "now (a scheduled time was missed while the daemon was down)" : $"{next:u}");

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

    /// <summary>
    /// Keeps the stored cron trigger when it has the configured cron and time zone — so a fire time that passed while the
    /// daemon was down is still in the store, and Quartz's misfire handling fires it once now — and replaces it otherwise.
    /// </summary>
    private async Task<DateTimeOffset?> EnsureCronTriggerAsync(IScheduler scheduler, CancellationToken cancellationToken)
    {
        var schedule = options.Schedule;
        if (await scheduler.GetTrigger(TrainingRunJob.ScheduleTrigger, cancellationToken) is ICronTrigger stored
            && stored.CronExpressionString == schedule.Cron && stored.TimeZone.Id == schedule.TimeZone.Id)
            return stored.NextFireTimeUtc;
        var trigger = TriggerBuilder.Create()
            .WithIdentity(TrainingRunJob.ScheduleTrigger)
            .ForJob(TrainingRunJob.Key)
            .UsingJobData(TrainingRunJob.TriggerData, RunTrigger.Schedule.Name())
            .WithCronSchedule(schedule.Cron, c => c.InTimeZone(schedule.TimeZone).WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed))
            .Build();
        return await scheduler.Exists(TrainingRunJob.ScheduleTrigger, cancellationToken)
            ? await scheduler.RescheduleJob(TrainingRunJob.ScheduleTrigger, trigger, cancellationToken)
            : await scheduler.ScheduleJob(trigger, cancellationToken: cancellationToken);
    }

    public override void Dispose()
    {
        stopping.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} run(s) were still marked running from before: now interrupted (nothing was published), retried at the next trigger")]
    private static partial void LogAbandoned(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "training scheduled by cron '{Cron}' ({Zone}); next run {Next}")]
    private static partial void LogScheduled(ILogger logger, string cron, string zone, string next);

    [LoggerMessage(Level = LogLevel.Information, Message = "the scheduled run of {Missed:u} was missed while the daemon was down: running it now")]
    private static partial void LogMisfire(ILogger logger, DateTimeOffset missed);
}
