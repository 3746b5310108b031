namespace ContinualTrainer.Ingestion.Formats;

/// <summary>An agent-log event read from the input (from <see cref="AgentLogParser.ReadEvents"/>).</summary>
public sealed record ParsedAgentLogEvent(AgentLogEvent Event) : ParseRecord;
