namespace ContinualTrainer.Checkpoints;

/// <summary>A version's upload to the storage host: its state, how many attempts were made, the last error and when the next attempt is due.</summary>
public sealed record UploadStatus(UploadState State, int Attempts, string? LastError, DateTimeOffset? NextAttemptUtc);
