namespace ContinualTrainer.Ingestion.Conversations;

/// <summary>The configuration / command-line spelling of <see cref="ConversationCategory"/>: <c>agent-log</c>, <c>transcript</c>.</summary>
public static class ConversationCategoryNames
{
    public const string AgentLog = "agent-log";
    public const string Transcript = "transcript";

    /// <summary>The name of a category as written in configuration.</summary>
    public static string ToName(this ConversationCategory category) => category switch
    {
        ConversationCategory.AgentLog => AgentLog,
        ConversationCategory.Transcript => Transcript,
        _ => throw new ArgumentOutOfRangeException(nameof(category), category, "unknown conversation category"),
    };

    /// <summary>Parses a configuration name (exact, lower case); false for anything else.</summary>
    public static bool TryParse(string? name, out ConversationCategory category)
    {
        switch (name)
        {
            case AgentLog:
                category = ConversationCategory.AgentLog;
                return true;
            case Transcript:
                category = ConversationCategory.Transcript;
                return true;
            default:
                category = default;
                return false;
        }
    }

    /// <summary>Parses a configuration name; throws <see cref="ArgumentException"/> naming the valid ones otherwise.</summary>
    public static ConversationCategory Parse(string name) =>
        TryParse(name, out var category)
            ? category
            : throw new ArgumentException($"unknown conversation category '{name}' (expected '{AgentLog}' or '{Transcript}')", nameof(name));
}
