using ContinualTrainer.Engine.Training;

namespace ContinualTrainer.Guard;

/// <summary>
/// The fixed data a run's model is evaluated on, before and after training: held-out general text (tokens), the
/// snapshot's validation examples, the validation examples of earlier accepted snapshots, and the probes.
/// </summary>
public sealed record EvaluationData(
    int[] HeldOutTokens,
    int PerplexityWindow,
    IReadOnlyList<TrainingExample> Validation,
    IReadOnlyList<TrainingExample> Past,
    IReadOnlyList<Probe> Probes);
