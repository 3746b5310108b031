namespace ContinualTrainer.Ingestion.Store;

/// <summary>What the caller knows about whether a file is finished being written.</summary>
public enum FileCompleteness
{
    /// <summary>Still changing: only whole lines are read; whole-file layouts wait.</summary>
    Growing,

    /// <summary>
    /// Unchanged for the settle time. Complete — except an agent log whose last line has no newline yet, which
    /// stays growing until it has been idle for <c>Ingestion:AgentLogIdleSeconds</c> (an agent pausing mid-line
    /// must not have half an event read).
    /// </summary>
    Settled,

    /// <summary>Known to be finished: renamed into the folder (the write-then-rename convention).</summary>
    Finished,
}
