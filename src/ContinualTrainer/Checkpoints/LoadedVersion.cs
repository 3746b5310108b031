namespace ContinualTrainer.Checkpoints;

/// <summary>
/// A version whose files were all verified (and repaired from the other store if needed) in the local store:
/// its directory and manifest, and for a LoRA adapter without merged weights the verified version it stacks on.
/// </summary>
public sealed record LoadedVersion(int Version, string Directory, CheckpointManifest Manifest, LoadedVersion? Parent)
{
    public string Name => VersionName.Format(Version);
}
