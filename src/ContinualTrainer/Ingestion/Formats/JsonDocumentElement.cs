namespace ContinualTrainer.Ingestion.Formats;

/// <summary>Where one conversation object sits in a whole-file JSON document.</summary>
/// <param name="Start">Byte offset of the value in the document text (after any BOM).</param>
/// <param name="Length">Length of the value in bytes.</param>
/// <param name="FirstLine">1-based line the value starts on.</param>
/// <param name="LastLine">1-based line the value ends on.</param>
/// <param name="InArray">True for an element of a top-level array, false for a single top-level object.</param>
internal readonly record struct JsonDocumentElement(int Start, int Length, long FirstLine, long LastLine, bool InArray);
