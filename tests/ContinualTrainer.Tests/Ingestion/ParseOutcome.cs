using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;

namespace ContinualTrainer.Tests.Ingestion;

/// <summary>
/// The records of one parser run, sorted by kind, after checking the stream contract: exactly one terminal
/// record (<see cref="ParseCompleted"/> or <see cref="QuarantineReason"/>), and it comes last.
/// </summary>
internal sealed record ParseOutcome(
    IReadOnlyList<CanonicalConversation> Conversations,
    IReadOnlyList<AgentLogEvent> Events,
    IReadOnlyList<SkippedLine> Skipped,
    ParseCompleted? Completed,
    QuarantineReason? Quarantine)
{
    public static ParseOutcome Of(IEnumerable<ParseRecord> records)
    {
        var list = records.ToList();
        Assert.NotEmpty(list);
        var terminals = list.Where(r => r is ParseCompleted or QuarantineReason).ToList();
        Assert.Single(terminals);
        Assert.Same(terminals[0], list[^1]);
        return new ParseOutcome(
            list.OfType<ParsedConversation>().Select(p => p.Conversation).ToList(),
            list.OfType<ParsedAgentLogEvent>().Select(p => p.Event).ToList(),
            list.OfType<SkippedLine>().ToList(),
            list[^1] as ParseCompleted,
            list[^1] as QuarantineReason);
    }

    /// <summary>Parses UTF-8 <paramref name="text"/> held in memory as a complete file named "f.jsonl".</summary>
    public static ParseOutcome Parse(IConversationParser parser, string text, bool complete = true) =>
        Parse(parser, System.Text.Encoding.UTF8.GetBytes(text), complete);

    public static ParseOutcome Parse(IConversationParser parser, byte[] bytes, bool complete = true)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return Of(parser.Parse(stream, new ParseRequest("f.jsonl", complete)));
    }

    /// <summary>The single conversation of a run that must have produced exactly one and no skips.</summary>
    public CanonicalConversation Single()
    {
        Assert.Null(Quarantine);
        Assert.Empty(Skipped);
        return Assert.Single(Conversations);
    }
}
