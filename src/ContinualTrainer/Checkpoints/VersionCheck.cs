namespace ContinualTrainer.Checkpoints;

/// <summary>
/// The result of verifying one version in one store (<c>local</c> or <c>ssh</c>): its manifest when that could
/// be read and trusted, and every problem found (missing, resized, altered, unexpected or non-regular files).
/// </summary>
public sealed record VersionCheck(int Version, string Store, CheckpointManifest? Manifest, IReadOnlyList<FileProblem> Problems)
{
    public const string LocalStore = "local";
    public const string SshStore = "ssh";

    public bool Ok => Problems.Count == 0;

    /// <summary>Something to say about a version that has no problems (e.g. "not uploaded yet").</summary>
    public string? Note { get; init; }

    /// <summary>One line: "v3 (local): ok" or "v3 (ssh): 2 problems: model.safetensors: checksum mismatch; ...".</summary>
    public string Summary()
    {
        var name = VersionName.Format(Version);
        if (Ok) return $"{name} ({Store}): {Note ?? "ok"}";
        var shown = Problems.Take(3).Select(p => p.ToString());
        var more = Problems.Count > 3 ? $"; and {Problems.Count - 3} more" : "";
        return $"{name} ({Store}): {Problems.Count} problem{(Problems.Count == 1 ? "" : "s")}: {string.Join("; ", shown)}{more}";
    }
}
