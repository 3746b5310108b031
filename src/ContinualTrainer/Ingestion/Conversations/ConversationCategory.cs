namespace ContinualTrainer.Ingestion.Conversations;

/// <summary>
/// Where a conversation came from, which decides how the daemon treats it (agent logs grow live and are
/// keyed by session; transcripts are finished files). Spelled <c>agent-log</c> and <c>transcript</c> in
/// configuration and on the command line (<see cref="ConversationCategoryNames"/>).
/// </summary>
public enum ConversationCategory
{
    /// <summary>An agent's session log, appended event by event while the agent works.</summary>
    AgentLog,

    /// <summary>A finished conversation transcript dropped into the watched folder.</summary>
    Transcript,
}
