using ContinualTrainer.Configuration;
using ContinualTrainer.Ingestion.Store;
using ContinualTrainer.Ingestion.Watching;
using ContinualTrainer.Metrics;
using ContinualTrainer.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ContinualTrainer.Ingestion;

/// <summary>
/// Registers ingestion with the daemon: the conversation store and its change signal (for the example layer:
/// <see cref="ConversationStore"/>, <see cref="IConversationsChanged"/>), the file ingester, its metrics, and the
/// background service that watches the configured folders.
/// </summary>
public static class IngestionServices
{
    public static IServiceCollection AddIngestion(this IServiceCollection services, DaemonOptions options)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new IngestionMetrics(sp.GetRequiredService<MetricsRegistry>()));
        services.AddSingleton<ConversationChangeSignal>();
        services.AddSingleton<IConversationsChanged>(sp => sp.GetRequiredService<ConversationChangeSignal>());
        services.AddSingleton(sp => new ConversationStore(sp.GetRequiredService<StateDatabase>()));
        services.AddSingleton(sp => new FileIngestor(
            sp.GetRequiredService<StateDatabase>(), options.Ingestion, sp.GetRequiredService<IngestionMetrics>(),
            sp.GetRequiredService<ConversationChangeSignal>(), sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<IngestionService>();
        return services;
    }
}
