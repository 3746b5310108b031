namespace ContinualTrainer.Ingestion.Store;

/// <summary>A file content was taken from, as <c>status</c> lists it.</summary>
/// <param name="Path">Where the file is now.</param>
/// <param name="Category">agent-log or transcript.</param>
/// <param name="Format">The format it was read as.</param>
/// <param name="State">active, complete, archived...</param>
/// <param name="Conversations">Conversation insertions and changes it caused.</param>
/// <param name="LinesSkipped">Lines left out of it.</param>
/// <param name="LastIngestedUtc">When content was last taken from it.</param>
public sealed record IngestedFile(string Path, string Category, string? Format, string State, long Conversations, long LinesSkipped, string LastIngestedUtc);
