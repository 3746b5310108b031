namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// What <see cref="TokenizerJsonWriter"/> puts into <c>tokenizer_config.json</c>: the beginning/end-of-sequence and
/// padding tokens (each a special token of the vocabulary, or null), the Jinja chat template (or null) and the
/// longest input the model is meant for.
/// </summary>
public sealed record TokenizerConfigSettings(string? BosToken, string? EosToken, string? PadToken, string? ChatTemplate, int ModelMaxLength);
