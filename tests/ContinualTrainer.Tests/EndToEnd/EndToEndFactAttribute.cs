using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.EndToEnd;

/// <summary>
/// A fact that runs the published daemon on the ../shared/ fixtures with a real Prometheus server scraping it:
/// skipped, with the reason, when ../shared/ is absent or Debian's prometheus is not installed (.ci/run installs it).
/// </summary>
public sealed class EndToEndFactAttribute : FactAttribute
{
    public EndToEndFactAttribute()
    {
        if (SharedFixtures.Root is null) Skip = SharedFixtures.MissingReason;
        else if (Tools.Find("prometheus") is null) Skip = "prometheus is not installed on this machine (.ci/run installs it)";
    }
}
