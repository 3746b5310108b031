using ContinualTrainer.Configuration;
using ContinualTrainer.Hosting;
using ContinualTrainer.Ingestion;
using ContinualTrainer.Ingestion.Store;
using ContinualTrainer.Metrics;
using ContinualTrainer.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ContinualTrainer.Dataset;

/// <summary>Registers the dataset layer in the daemon: the example deriver, its metrics and the service that keeps examples current.</summary>
public static class DatasetServices
{
    public static IServiceCollection AddDataset(this IServiceCollection services, DaemonOptions options)
    {
        services.AddSingleton(sp => new ExampleDeriver(sp.GetRequiredService<StateDatabase>(), options.Dataset));
        services.AddSingleton<IExampleDeriver>(sp => sp.GetRequiredService<ExampleDeriver>());
        services.AddSingleton(sp => new DatasetMetrics(sp.GetRequiredService<MetricsRegistry>()));
        services.AddHostedService(sp => new ExampleDerivationService(
            options,
            sp.GetRequiredService<StateDatabase>(),
            sp.GetRequiredService<ExampleDeriver>(),
            sp.GetRequiredService<DatasetMetrics>(),
            sp.GetRequiredService<StatusBoard>(),
            sp.GetRequiredService<ILogger<ExampleDerivationService>>(),
            sp.GetService<IConversationsChanged>()));
        return services;
    }
}
