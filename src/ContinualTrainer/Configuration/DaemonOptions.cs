namespace ContinualTrainer.Configuration;

/// <summary>Every validated section of the configuration, as the daemon and the verbs use it.</summary>
public sealed record DaemonOptions
{
    /// <summary>The configuration file that was read, or null when only the embedded defaults apply.</summary>
    public string? ConfigFile { get; init; }
    public required PathsOptions Paths { get; init; }
    public required ModelOptions Model { get; init; }
    public required IngestionOptions Ingestion { get; init; }
    public required MetricsOptions Metrics { get; init; }
    public required CheckpointsOptions Checkpoints { get; init; }
    public required DatasetOptions Dataset { get; init; }
    public required TrainingRunOptions Training { get; init; }
    public required GuardOptions Guard { get; init; }
    public required ScheduleOptions Schedule { get; init; }
}
