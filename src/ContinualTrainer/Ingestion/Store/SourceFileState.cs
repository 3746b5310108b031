namespace ContinualTrainer.Ingestion.Store;

/// <summary>
/// Where an input file stands (column <c>source_files.state</c>, spelled as in <see cref="SourceFileStateNames"/>).
/// </summary>
public enum SourceFileState
{
    /// <summary>Read up to <c>read_offset</c>; more may be appended (a growing log, or a file not yet complete).</summary>
    Active,

    /// <summary>Read to its end as a finished file. Growing again makes it active again.</summary>
    Complete,

    /// <summary>Could not be parsed at all; <c>reason</c> says why. Tried again only when the file changes.</summary>
    Quarantined,

    /// <summary>Complete and moved to <c>Ingestion:ArchiveDir</c>; <c>path</c> is where it is now.</summary>
    Archived,

    /// <summary>A byte-for-byte copy of a file ingested before (<c>duplicate_of</c>): nothing was added from it.</summary>
    Duplicate,
}
