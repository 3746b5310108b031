using System.Globalization;

namespace ContinualTrainer.Checkpoints;

/// <summary>
/// Which versions <c>prune</c> may delete. Always kept: v0, <c>current</c>, the last <see cref="KeepLast"/>,
/// every <see cref="KeepEvery"/>th (v10, v20, ...), the best by general perplexity (rejected versions excluded),
/// versions whose copy on the storage host is not verified yet, and the parent chain of every kept LoRA
/// adapter that needs its parent to be served.
/// </summary>
public sealed record RetentionPolicy(int KeepLast, int KeepEvery)
{
    public IReadOnlyList<RetentionDecision> Decide(IReadOnlyList<RetentionCandidate> versions, int? current)
    {
        var reasons = versions.ToDictionary(v => v.Version, _ => new List<string>());
        foreach (var v in versions.OrderByDescending(v => v.Version).Take(KeepLast)) reasons[v.Version].Add($"one of the last {KeepLast}");
        foreach (var v in versions)
        {
            if (v.Version == 0) reasons[v.Version].Add("the base model (v0)");
            if (v.Version == current) reasons[v.Version].Add("current");
            if (KeepEvery > 0 && v.Version > 0 && v.Version % KeepEvery == 0) reasons[v.Version].Add($"every {Ordinal(KeepEvery)} version");
            if (v.AwaitingUpload) reasons[v.Version].Add("not yet verified on the storage host");
        }
        var best = versions.Where(v => v.GeneralPerplexity is not null && !v.Rejected)
            .OrderBy(v => v.GeneralPerplexity).ThenByDescending(v => v.Version).FirstOrDefault();
        if (best is not null) reasons[best.Version].Add($"best general perplexity ({best.GeneralPerplexity!.Value.ToString("G6", CultureInfo.InvariantCulture)})");

        // A kept adapter is useless without the chain it stacks on.
        var byVersion = versions.ToDictionary(v => v.Version);
        foreach (var v in versions.OrderByDescending(v => v.Version))
        {
            if (reasons[v.Version].Count == 0 || v.SelfContained || v.Parent is not { } parent || !byVersion.ContainsKey(parent)) continue;
            var because = $"parent of kept LoRA adapter {VersionName.Format(v.Version)}";
            if (!reasons[parent].Contains(because)) reasons[parent].Add(because);
        }
        return versions.OrderBy(v => v.Version).Select(v => new RetentionDecision(v.Version, reasons[v.Version])).ToList();
    }

    private static string Ordinal(int n) => (n % 100) switch
    {
        11 or 12 or 13 => $"{n}th",
        _ => (n % 10) switch { 1 => $"{n}st", 2 => $"{n}nd", 3 => $"{n}rd", _ => $"{n}th" },
    };
}
