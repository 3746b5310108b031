namespace ContinualTrainer.Checkpoints;

/// <summary>One file of a version as its manifest lists it: the relative path, the size in bytes and the SHA-256 (lowercase hex).</summary>
public sealed record ManifestFile(string Path, long Size, string Sha256);
