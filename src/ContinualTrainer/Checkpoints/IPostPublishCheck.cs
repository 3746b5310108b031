namespace ContinualTrainer.Checkpoints;

/// <summary>
/// The post-publish check, provided by the training loop (it owns the engine): reload a just-published version
/// from the store and re-measure its general perplexity. The repository compares the result with the evaluated
/// value (within <see cref="CheckpointRepository.PostPublishTolerance"/> relative) and rolls back on a mismatch.
/// </summary>
public interface IPostPublishCheck
{
    /// <summary>The general perplexity of <paramref name="version"/>, loaded from the verified files it names.</summary>
    Task<double> MeasureGeneralPerplexityAsync(LoadedVersion version, CancellationToken cancellationToken);
}
