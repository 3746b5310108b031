using ContinualTrainer.Configuration;

namespace ContinualTrainer.Dataset.Snapshots;

/// <summary>The <c>Dataset</c> settings a snapshot was built with, stored with it.</summary>
public sealed record SnapshotSettings(
    double NearDuplicateThreshold,
    int MaxPerSession,
    int MaxPerSourceFile,
    double ReplayFraction,
    double RehearsalFraction,
    double ValidationFraction,
    int ReplayWindowTokens,
    double GeneralHoldoutFraction)
{
    public static SnapshotSettings From(DatasetOptions options) => new(
        options.NearDuplicateThreshold, options.MaxPerSession, options.MaxPerSourceFile, options.ReplayFraction,
        options.RehearsalFraction, options.ValidationFraction, options.ReplayWindowTokens, options.GeneralHoldoutFraction);
}
