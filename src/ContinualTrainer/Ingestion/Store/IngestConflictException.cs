namespace ContinualTrainer.Ingestion.Store;

/// <summary>
/// Another ingester (the daemon and the <c>ingest</c> verb, or two <c>ingest</c> runs) committed a pass of the same
/// file between this pass's start and its commit. The pass is rolled back and planned again from what is stored;
/// this escapes <see cref="FileIngestor.IngestAsync"/> only when that keeps happening.
/// </summary>
public sealed class IngestConflictException(string message) : Exception(message);
