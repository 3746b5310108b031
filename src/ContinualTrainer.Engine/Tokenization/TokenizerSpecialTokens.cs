namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// The beginning/end-of-sequence, padding and unknown tokens a model was trained with, read from
/// <c>tokenizer_config.json</c> (the unknown token falls back to the BPE model's <c>unk_token</c>).
/// A token string is null when the configuration names none; an id is null when the token is not
/// in the vocabulary.
/// </summary>
public sealed record TokenizerSpecialTokens(
    string? BosToken,
    int? BosId,
    string? EosToken,
    int? EosId,
    string? PadToken,
    int? PadId,
    string? UnkToken,
    int? UnkId);
