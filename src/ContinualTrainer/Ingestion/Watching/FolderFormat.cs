using ContinualTrainer.Ingestion.Formats;

namespace ContinualTrainer.Ingestion.Watching;

/// <summary>A format override (<c>Ingestion:Formats</c>): files in <paramref name="Folder"/> and below are read as <paramref name="Format"/>.</summary>
public sealed record FolderFormat(string Folder, ConversationFormat Format);
