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

    /// <summary>How late a cron fire may be before Quartz treats it as missed (and fires it once, now).</summary>
    public static readonly TimeSpan MisfireThreshold = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The daemon's scheduling: Quartz with its ADO.NET job store in the state database (tables <c>QRTZ_*</c>, created by Quartz
    /// when missing), one worker, firing <see cref="TrainingRunJob"/>; and <see cref="TrainingScheduler"/>, which keeps the cron trigger and
    /// watches for requests.
    /// </summary>
    public static IServiceCollection AddTrainingSchedule(this IServiceCollection services, DaemonOptions options, StateDatabase database)
    {
        services.TryAddSingleton<RunRequestSignal>();
        services.AddSingleton<TrainingScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<TrainingScheduler>());
        services.AddQuartz(q =>
        {
            q.UsePersistentStore(store =>
            {
                store.UseSqlite(database.ConnectionString);
                store.UseSystemTextJsonSerializer();
                store.ProvisionSchema();
                store.ConfigureStore(o =>
                {
                    o.StoreJobDataAsStrings = true;
                    o.MisfireThreshold = MisfireThreshold;
                });
            });
            q.UseDefaultThreadPool(1);
            q.AddJob<TrainingRunJob>(j => j.WithIdentity(TrainingRunJob.Key).StoreDurably());
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        return services;
    }
}
