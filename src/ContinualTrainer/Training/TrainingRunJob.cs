using Quartz;

namespace ContinualTrainer.Training;

/// <summary>
/// The Quartz job behind every run (the cron trigger, a missed run fired at start-up, or a request): never two
/// at once. The trigger's data says what started it.
/// </summary>
[DisallowConcurrentExecution]
public sealed class TrainingRunJob(TrainingRunner runner, TrainingScheduler scheduler) : IJob
{
    public static readonly JobKey Key = new("training-run", "continual-trainer");
    public const string TriggerData = "trigger";
    public const string RequestedByData = "requested_by";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var data = context.MergedJobDataMap;
        var trigger = data.TryGetString(TriggerData, out var t) && t is not null ? RunNames.ParseTrigger(t) : RunTrigger.Schedule;
        var requestedBy = data.TryGetString(RequestedByData, out var by) && by is not null ? by : "schedule";
        if (trigger == RunTrigger.Schedule) await scheduler.RecordScheduledFireAsync(CancellationToken.None);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, scheduler.Stopping);
        await runner.RunAsync(trigger, requestedBy, stop.Token);
    }
}
