namespace ContinualTrainer.Training;

/// <summary>How a training run ended (or that it is still going).</summary>
public enum RunResult
{
    Running,
    /// <summary>The guard kept the trained model; a new version was published.</summary>
    Accepted,
    /// <summary>The guard found forgetting; nothing was published and the next run trains more gently.</summary>
    Rejected,
    /// <summary>An error or a non-finite loss stopped it; nothing was published; retried at the next trigger.</summary>
    Failed,
    /// <summary>Stopped by shutdown (or a crash) before it finished; nothing was published; retried at the next trigger.</summary>
    Interrupted,
    /// <summary>A gate was not met (too few new examples, no model); nothing was trained.</summary>
    Skipped,
}
