namespace ContinualTrainer.Ingestion.Formats;

/// <summary>The configuration / command-line spelling of <see cref="ConversationFormat"/>.</summary>
public static class ConversationFormatNames
{
    public const string OpenAi = "openai";
    public const string ShareGpt = "sharegpt";
    public const string AgentLog = "agent-log";
    public const string Text = "text";

    /// <summary>The name of a format as written in configuration.</summary>
    public static string ToName(this ConversationFormat format) => format switch
    {
        ConversationFormat.OpenAi => OpenAi,
        ConversationFormat.ShareGpt => ShareGpt,
        ConversationFormat.AgentLog => AgentLog,
        ConversationFormat.Text => Text,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown conversation format"),
    };

    /// <summary>Parses a configuration name (exact, lower case); false for anything else.</summary>
    public static bool TryParse(string? name, out ConversationFormat format)
    {
        ConversationFormat? parsed = name switch
        {
            OpenAi => ConversationFormat.OpenAi,
            ShareGpt => ConversationFormat.ShareGpt,
            AgentLog => ConversationFormat.AgentLog,
            Text => ConversationFormat.Text,
            _ => null,
        };
        format = parsed.GetValueOrDefault();
        return parsed is not null;
    }

    /// <summary>Parses a configuration name; throws <see cref="ArgumentException"/> naming the valid ones otherwise.</summary>
    public static ConversationFormat Parse(string name) =>
        TryParse(name, out var format)
            ? format
            : throw new ArgumentException(
                $"unknown conversation format '{name}' (expected '{OpenAi}', '{ShareGpt}', '{AgentLog}' or '{Text}')", nameof(name));
}
