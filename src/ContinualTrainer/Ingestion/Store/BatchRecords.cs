using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;

namespace ContinualTrainer.Ingestion.Store;

/// <summary>What the parser produced for one batch of a file: conversations (or agent-log events), skipped lines and how far it got.</summary>
internal sealed class BatchRecords
{
    public List<CanonicalConversation> Conversations { get; } = [];

    public List<AgentLogEvent> Events { get; } = [];

    public List<SkippedLine> Skipped { get; } = [];

    public ParseCompleted? Completed { get; private set; }

    public QuarantineReason? Quarantine { get; private set; }

    public bool HasRecords => Conversations.Count > 0 || Events.Count > 0 || Skipped.Count > 0;

    /// <summary>Runs the parser to its terminal record, sorting what it yields.</summary>
    public static BatchRecords Read(IEnumerable<ParseRecord> records)
    {
        var batch = new BatchRecords();
        foreach (var record in records)
        {
            switch (record)
            {
                case ParsedConversation parsed:
                    batch.Conversations.Add(parsed.Conversation);
                    break;
                case ParsedAgentLogEvent parsed:
                    batch.Events.Add(parsed.Event);
                    break;
                case SkippedLine skipped:
                    batch.Skipped.Add(skipped);
                    break;
                case ParseCompleted completed:
                    batch.Completed = completed;
                    break;
                case QuarantineReason quarantine:
                    batch.Quarantine = quarantine;
                    break;
            }
        }
        if (batch.Completed is null && batch.Quarantine is null)
            throw new InvalidOperationException("the parser ended without a terminal record (ParseCompleted or QuarantineReason)");
        return batch;
    }
}
