using Quartz;

namespace ContinualTrainer.Training;

/// <summary>
/// The Quartz job behind every run (the cron trigger, a missed fire run at start-up, or a request): never two
/// at once. The trigger's data says what started it; a cron fire later than the misfire threshold is Quartz
/// firing, once, a time missed while the daemon was down (misfire instruction "fire once now").
/// </summary>
[DisallowConcurrentExecution]
public sealed class TrainingRunJob(TrainingRunner runner, TrainingScheduler scheduler) : IJob
{
    public static readonly JobKey Key = new("training-run", "continual-trainer");
    public static readonly TriggerKey ScheduleTrigger = new("schedule", "continual-trainer");
    public const string TriggerData = "trigger";
    public const string RequestedByData = "requested_by";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var data = context.MergedJobDataMap;
        var trigger = data.TryGetString(TriggerData, out var t) && t is not null ? RunNames.ParseTrigger(t) : RunTrigger.Schedule;
        var requestedBy = data.TryGetString(RequestedByData, out var by) && by is not null ? by : "schedule";
        if (trigger == RunTrigger.Schedule && context.ScheduledFireTimeUtc is { } scheduled
            && context.FireTimeUtc - scheduled > TrainingServices.MisfireThreshold)
        {
            trigger = RunTrigger.Misfire;
            scheduler.LogMisfire(scheduled);
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, scheduler.Stopping);
        await runner.RunAsync(trigger, requestedBy, stop.Token);
    }
}
