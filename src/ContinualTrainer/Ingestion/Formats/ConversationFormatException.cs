namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// Raised inside the parsers when a JSON value does not have the shape its format requires; the message is
/// the one-line reason that ends up in a <see cref="SkippedLine"/>. Never escapes a parser.
/// </summary>
internal sealed class ConversationFormatException(string message) : Exception(message);
