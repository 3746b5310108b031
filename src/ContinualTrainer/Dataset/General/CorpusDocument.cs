namespace ContinualTrainer.Dataset.General;

/// <summary>One document of the general corpus: a paragraph of a text file, or one JSONL line's <c>text</c>.</summary>
/// <param name="File">The file it comes from.</param>
/// <param name="Line">1-based line where it starts.</param>
/// <param name="Text">Its text.</param>
public sealed record CorpusDocument(string File, long Line, string Text);
