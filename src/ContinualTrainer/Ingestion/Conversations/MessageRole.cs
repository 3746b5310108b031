namespace ContinualTrainer.Ingestion.Conversations;

/// <summary>Who speaks a <see cref="CanonicalMessage"/>, independent of any model's chat template.</summary>
public enum MessageRole
{
    System,
    User,
    Assistant,

    /// <summary>The result of a tool call, fed back to the assistant.</summary>
    Tool,
}
