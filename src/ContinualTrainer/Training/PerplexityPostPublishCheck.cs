using ContinualTrainer.Checkpoints;
using ContinualTrainer.Engine.Eval;

namespace ContinualTrainer.Training;

/// <summary>
/// The check after every publication: reload the new version from the store, exactly as a restart would, and
/// re-measure the general perplexity on the run's held-out tokens. The repository compares it with the
/// evaluated value (within 1e-3 relative) and rolls back when it differs.
/// </summary>
public sealed class PerplexityPostPublishCheck : IPostPublishCheck
{
    private (int[] Tokens, int Window)? held;

    /// <summary>The held-out tokens and window the run evaluated with; set before publishing.</summary>
    public void Prepare(int[] tokens, int window) => held = (tokens, window);

    public Task<double> MeasureGeneralPerplexityAsync(LoadedVersion version, CancellationToken cancellationToken)
    {
        var (tokens, window) = held ?? throw new InvalidOperationException("the post-publish check was not prepared with the run's held-out tokens");
        return Task.Run(() =>
        {
            using var model = ModelFiles.Load(version);
            return Perplexity.Evaluate(model, tokens, Math.Min(window, model.Config.MaxPositionEmbeddings), Guard.ModelEvaluator.BatchSize).Perplexity;
        }, cancellationToken);
    }
}
