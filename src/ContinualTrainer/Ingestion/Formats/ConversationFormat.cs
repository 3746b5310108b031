namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// The file formats the ingestion layer reads. Spelled <c>openai</c>, <c>sharegpt</c>, <c>agent-log</c>
/// and <c>text</c> in configuration and on the command line (<see cref="ConversationFormatNames"/>).
/// </summary>
public enum ConversationFormat
{
    /// <summary>OpenAI-style chat: <c>{"messages":[{"role","content",...}]}</c> per JSONL line, one document, or an array of them.</summary>
    OpenAi,

    /// <summary>ShareGPT: <c>{"conversations":[{"from","value"}]}</c> per JSONL line or in a JSON array.</summary>
    ShareGpt,

    /// <summary>Agent session logs: one event per JSONL line, appended live.</summary>
    AgentLog,

    /// <summary>Plain-text transcripts with speaker prefixes (<c>User:</c>, <c>Assistant:</c>, ...).</summary>
    Text,
}
