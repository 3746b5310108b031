namespace ContinualTrainer.Ingestion.Conversations;

/// <summary>
/// One tool (function) call requested by an assistant message.
/// </summary>
/// <param name="Id">The call id that the matching tool message refers to (<see cref="CanonicalMessage.ToolCallId"/>); empty when the source has none.</param>
/// <param name="Name">The tool's name.</param>
/// <param name="Arguments">
/// The arguments as JSON text. Sources that give a string keep it verbatim (models sometimes emit invalid
/// JSON and the training data should show what was said); sources that give an object are written compactly.
/// </param>
public sealed record ToolCall(string Id, string Name, string Arguments);
