using ContinualTrainer.Ingestion.Conversations;

namespace ContinualTrainer.Tests.Dataset;

/// <summary>Hand-made canonical conversations for the dataset tests.</summary>
internal static class Transcripts
{
    public static CanonicalMessage SystemPrompt(string text) => new(MessageRole.System, text);
    public static CanonicalMessage User(string text) => new(MessageRole.User, text);
    public static CanonicalMessage Assistant(string text, params ToolCall[] calls) => new(MessageRole.Assistant, text) { ToolCalls = calls };
    public static CanonicalMessage Tool(string text, string? callId = null) => new(MessageRole.Tool, text) { ToolCallId = callId };

    /// <summary>
    /// system, user, assistant (text and one tool call), two tool results, assistant: every message kind, and a run
    /// of tool messages.
    /// </summary>
    public static IReadOnlyList<CanonicalMessage> AgentTurns() =>
    [
        SystemPrompt("You are a careful agent."),
        User("List the files."),
        Assistant("Let me look.", new ToolCall("call_1", "ls", """{"path":"."}""")),
        Tool("a.txt\nb.txt", "call_1"),
        Tool("ok"),
        Assistant("There are two files: a.txt and b.txt."),
    ];

    /// <summary>A user question and a distinct answer of about <paramref name="words"/> words, built from <paramref name="seed"/>.</summary>
    public static IReadOnlyList<CanonicalMessage> QuestionAndAnswer(int seed, int words = 24)
    {
        var random = new Random(seed);
        string[] vocabulary =
        [
            "the", "model", "reads", "files", "quickly", "and", "writes", "tests", "before", "after", "every", "change", "river",
            "stone", "lamp", "cloud", "garden", "engine", "window", "paper", "green", "silver", "quiet", "bright", "small", "large",
            "north", "south", "seven", "eleven", "market", "harbor", "violet", "copper", "winter", "summer", "anchor", "signal",
        ];
        var answer = string.Join(' ', Enumerable.Range(0, words).Select(_ => vocabulary[random.Next(vocabulary.Length)]));
        return [User($"Question number {seed}?"), Assistant(answer)];
    }
}
