using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;
using ContinualTrainer.Metrics;

namespace ContinualTrainer.Ingestion.Store;

/// <summary>
/// The ingestion figures on <c>/metrics</c> (the <c>IngestionErrors</c> alert reads the first two): files quarantined,
/// lines skipped, conversations stored new and changed by category and source format, files taken by category, and
/// the number of conversations held, counted where the work happens.
/// </summary>
public sealed class IngestionMetrics
{
    private readonly Counter quarantined;
    private readonly Counter skipped;
    private readonly Counter ingested;
    private readonly Counter updated;
    private readonly Counter files;
    private readonly Gauge stored;

    public IngestionMetrics(MetricsRegistry registry)
    {
        const string P = MetricsRegistry.Prefix;
        quarantined = registry.Counter(P + "files_quarantined_total", "Input files that could not be parsed at all and were set aside");
        skipped = registry.Counter(P + "lines_skipped_total", "Lines, events or document elements left out of input files (bad JSON, over a limit)");
        ingested = registry.Counter(P + "conversations_ingested_total", "Conversations stored for the first time, by category and source format", "category", "source_type");
        updated = registry.Counter(P + "conversations_updated_total", "Stored conversations whose messages changed (sessions that grew), by category and source format", "category", "source_type");
        files = registry.Counter(P + "files_ingested_total", "Input files (or new versions of them) whose content was taken, by category", "category");
        stored = registry.Gauge(P + "conversations_stored", "Canonical conversations in the state database, by category", "category");
        foreach (var category in Enum.GetValues<ConversationCategory>())
        {
            files.WithLabels(category.ToName());
            stored.WithLabels(category.ToName());
        }
    }

    public void FileTaken(ConversationCategory category) => files.WithLabels(category.ToName()).Inc();

    public void FileQuarantined() => quarantined.Inc();

    public void LinesSkipped(int count)
    {
        if (count > 0) skipped.Inc(count);
    }

    public void ConversationsStored(ConversationCategory category, ConversationFormat format, int inserted, int changed)
    {
        if (inserted > 0) ingested.WithLabels(category.ToName(), format.ToName()).Inc(inserted);
        if (changed > 0) updated.WithLabels(category.ToName(), format.ToName()).Inc(changed);
    }

    /// <summary>Sets the number of stored conversations of <paramref name="category"/>.</summary>
    public void SetStored(ConversationCategory category, long count) => stored.WithLabels(category.ToName()).Set(count);
}
