namespace ContinualTrainer.Checkpoints;

/// <summary>Why <c>current</c> was moved back (the <c>reason</c> label of <c>continual_trainer_rollbacks_total</c>).</summary>
public static class RollbackReason
{
    /// <summary>By hand: <c>continual-trainer checkpoints rollback V</c>.</summary>
    public const string Manual = "manual";

    /// <summary>A published version did not reproduce its evaluated general perplexity after reloading from the store.</summary>
    public const string PostPublishCheck = "post_publish_check";

    /// <summary>At start-up <c>current</c> failed verification and the newest version that verifies took its place.</summary>
    public const string StartupFallback = "startup_fallback";

    public static readonly IReadOnlyList<string> All = [Manual, PostPublishCheck, StartupFallback];
}
