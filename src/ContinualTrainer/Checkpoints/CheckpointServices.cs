using ContinualTrainer.Configuration;
using ContinualTrainer.Metrics;
using ContinualTrainer.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ContinualTrainer.Checkpoints;

/// <summary>Registers the checkpoint store with the daemon: repository, metrics, start-up, and the upload worker when a storage host is configured.</summary>
public static class CheckpointServices
{
    public static IServiceCollection AddCheckpoints(this IServiceCollection services, DaemonOptions options)
    {
        services.AddSingleton(sp => new CheckpointLedger(sp.GetRequiredService<StateDatabase>()));
        services.AddSingleton(sp => new CheckpointMetrics(sp.GetRequiredService<MetricsRegistry>()));
        services.AddSingleton(sp => new CheckpointRepository(
            options.Checkpoints,
            sp.GetRequiredService<CheckpointLedger>(),
            sp.GetService<SshCheckpointStore>(),
            sp.GetRequiredService<ILogger<CheckpointRepository>>(),
            sp.GetRequiredService<CheckpointMetrics>(),
            sp.GetService<IPostPublishCheck>()));
        services.AddSingleton<CheckpointStartupService>();
        services.AddHostedService(sp => sp.GetRequiredService<CheckpointStartupService>());
        if (options.Checkpoints.Ssh is { } ssh)
        {
            services.AddSingleton(new SshCheckpointStore(ssh));
            services.AddSingleton(sp => new CheckpointUploader(
                sp.GetRequiredService<CheckpointRepository>(), sp.GetRequiredService<SshCheckpointStore>(),
                sp.GetRequiredService<ILogger<CheckpointUploader>>(), sp.GetRequiredService<CheckpointMetrics>()));
            services.AddHostedService<UploadWorker>();
        }
        return services;
    }
}
