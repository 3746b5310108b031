namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// A token from <c>tokenizer.json</c>'s <c>added_tokens</c>: matched in the raw text before any
/// normalization or pre-tokenization and always emitted as the single id <see cref="Id"/>.
/// </summary>
/// <param name="Id">The token id.</param>
/// <param name="Content">The exact text that is matched.</param>
/// <param name="Special">Whether it is a special (control) token such as <c>&lt;|im_end|&gt;</c>.</param>
/// <param name="SingleWord">Match only when not preceded or followed by a word character.</param>
/// <param name="LStrip">A match also swallows the whitespace before it.</param>
/// <param name="RStrip">A match also swallows the whitespace after it.</param>
/// <param name="Normalized">Matched against the normalized text instead of the raw text.</param>
public sealed record AddedToken(int Id, string Content, bool Special, bool SingleWord, bool LStrip, bool RStrip, bool Normalized);
