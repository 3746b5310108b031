namespace ContinualTrainer.Ingestion.Store;

/// <summary>The database spelling of <see cref="SourceFileState"/>.</summary>
public static class SourceFileStateNames
{
    public const string Active = "active";
    public const string Complete = "complete";
    public const string Quarantined = "quarantined";
    public const string Archived = "archived";
    public const string Duplicate = "duplicate";

    public static string ToName(this SourceFileState state) => state switch
    {
        SourceFileState.Active => Active,
        SourceFileState.Complete => Complete,
        SourceFileState.Quarantined => Quarantined,
        SourceFileState.Archived => Archived,
        SourceFileState.Duplicate => Duplicate,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "unknown source file state"),
    };

    /// <summary>Parses a stored name; throws <see cref="FormatException"/> for anything else (a corrupt row).</summary>
    public static SourceFileState Parse(string name) => name switch
    {
        Active => SourceFileState.Active,
        Complete => SourceFileState.Complete,
        Quarantined => SourceFileState.Quarantined,
        Archived => SourceFileState.Archived,
        Duplicate => SourceFileState.Duplicate,
        _ => throw new FormatException($"source_files.state '{name}' is not a known state"),
    };
}
