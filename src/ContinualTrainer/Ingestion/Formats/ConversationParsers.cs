namespace ContinualTrainer.Ingestion.Formats;

/// <summary>Creates the parser for a <see cref="ConversationFormat"/>.</summary>
public static class ConversationParsers
{
    public static IConversationParser Create(ConversationFormat format, IngestionLimits limits, TextTranscriptOptions textOptions) => format switch
    {
        ConversationFormat.OpenAi => new OpenAiChatParser(limits),
        ConversationFormat.ShareGpt => new ShareGptParser(limits),
        ConversationFormat.AgentLog => new AgentLogParser(limits),
        ConversationFormat.Text => new TextTranscriptParser(limits, textOptions),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown conversation format"),
    };
}
