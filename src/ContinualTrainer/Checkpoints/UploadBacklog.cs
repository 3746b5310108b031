namespace ContinualTrainer.Checkpoints;

/// <summary>What the storage host does not have yet: versions not verified there and their total size.</summary>
public sealed record UploadBacklog(int Versions, long Bytes);
