using ContinualTrainer.Checkpoints;
using ContinualTrainer.Configuration;
using ContinualTrainer.Hosting;
using ContinualTrainer.Metrics;
using ContinualTrainer.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Quartz;

namespace ContinualTrainer.Training;

/// <summary>Registers the training runs: bookkeeping, metrics, the runner, and the post-publish check the checkpoint store calls.</summary>
public static class TrainingServices
{
    public static IServiceCollection AddTraining(this IServiceCollection services, DaemonOptions options)
    {
        services.AddSingleton(sp => new RunStore(sp.GetRequiredService<StateDatabase>()));
        services.AddSingleton(sp => new RunMetrics(sp.GetRequiredService<MetricsRegistry>()));
        services.AddSingleton<PerplexityPostPublishCheck>();
        services.AddSingleton<IPostPublishCheck>(sp => sp.GetRequiredService<PerplexityPostPublishCheck>());
        services.AddSingleton(sp => new TrainingRunner(
            options, sp.GetRequiredService<StateDatabase>(), sp.GetRequiredService<RunStore>(), sp.GetRequiredService<CheckpointRepository>(),
            sp.GetRequiredService<RunMetrics>(), sp.GetRequiredService<PerplexityPostPublishCheck>(), sp.GetRequiredService<StatusBoard>(),
            sp.GetRequiredService<ILogger<TrainingRunner>>()));
        return services;
    }

    /// <summary>The daemon's scheduling: Quartz (in-memory store, one worker) firing <see cref="TrainingRunJob"/> on the cron, and the request watcher.</summary>
    public static IServiceCollection AddTrainingSchedule(this IServiceCollection services, DaemonOptions options)
    {
        services.TryAddSingleton<RunRequestSignal>();
        services.AddSingleton<TrainingScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<TrainingScheduler>());
        services.AddQuartz(q =>
        {
            q.UseInMemoryStore();
            q.UseDefaultThreadPool(1);
            q.AddJob<TrainingRunJob>(j => j.WithIdentity(TrainingRunJob.Key).StoreDurably());
            q.AddTrigger(t => t
                .WithIdentity("schedule", "continual-trainer")
                .ForJob(TrainingRunJob.Key)
                .UsingJobData(TrainingRunJob.TriggerData, RunTrigger.Schedule.Name())
                .WithCronSchedule(options.Schedule.Cron, c => c.InTimeZone(options.Schedule.TimeZone).WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed)));
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        return services;
    }
}
