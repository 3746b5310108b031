namespace ContinualTrainer.Checkpoints;

/// <summary>
/// A checkpoint cannot be published, loaded, verified, rolled back or pruned: one line naming the version,
/// the store and the file when there is one (a damaged file, an unreachable storage host, a refused name).
/// </summary>
public sealed class CheckpointException(string message, Exception? inner = null, bool hostUnreachable = false) : Exception(message, inner)
{
    /// <summary>The storage host could not be reached (connection refused or timed out, connection lost): worth retrying later.</summary>
    public bool HostUnreachable { get; } = hostUnreachable;
}
