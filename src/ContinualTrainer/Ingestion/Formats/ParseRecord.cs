namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// One item of a parser's output stream: <see cref="ParsedConversation"/>, <see cref="ParsedAgentLogEvent"/>
/// or <see cref="SkippedLine"/> as they are found, then exactly one terminal record —
/// <see cref="ParseCompleted"/> (how far the input was consumed) or <see cref="QuarantineReason"/> (the file
/// cannot be parsed at all and should be set aside).
/// </summary>
public abstract record ParseRecord;
