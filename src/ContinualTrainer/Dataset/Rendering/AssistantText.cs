namespace ContinualTrainer.Dataset.Rendering;

/// <summary>
/// An assistant turn split where the model starts to generate: <see cref="Header"/> is the end of the
/// prompt (e.g. <c>&lt;|im_start|&gt;assistant\n</c>), <see cref="Body"/> is what the model says, without the
/// end-of-turn token.
/// </summary>
public sealed record AssistantText(string Header, string Body);
