namespace ContinualTrainer.Checkpoints;

/// <summary>Where a version's copy on the storage host stands.</summary>
public enum UploadState
{
    /// <summary>Waiting for its first (or, after a damaged remote copy was found, next) upload.</summary>
    Pending,

    /// <summary>Being uploaded now (reset to pending when the daemon starts, as an interrupted upload restarts cleanly).</summary>
    Uploading,

    /// <summary>On the storage host, every checksum verified there.</summary>
    Verified,

    /// <summary>The last attempt failed; retried after a backoff.</summary>
    Failed,
}
