namespace ContinualTrainer.Ingestion.Formats;

/// <summary>How a JSON transcript file is laid out, decided from its first lines by <see cref="JsonTranscriptReader"/>.</summary>
internal enum JsonLayout
{
    /// <summary>No complete line yet: nothing can be decided or consumed.</summary>
    Undetermined,

    /// <summary>JSONL: one conversation per line, parsed incrementally.</summary>
    Lines,

    /// <summary>One JSON document (an object or an array of objects), parsed whole once the file is complete.</summary>
    Document,
}
