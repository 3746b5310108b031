using ContinualTrainer.Checkpoints;

namespace ContinualTrainer.Tests.Checkpoints;

/// <summary>A post-publish check that "re-measures" the evaluated perplexity times <paramref name="factor"/>, recording what it was given.</summary>
internal sealed class FakePostPublishCheck(double factor) : IPostPublishCheck
{
    public List<LoadedVersion> Loaded { get; } = [];

    public Task<double> MeasureGeneralPerplexityAsync(LoadedVersion version, CancellationToken cancellationToken)
    {
        Loaded.Add(version);
        return Task.FromResult(version.Manifest.EvaluationAfter!.GeneralPerplexity * factor);
    }
}
