namespace ContinualTrainer.Engine.Tokenization;

/// <summary>What <see cref="TokenizerConfigReader"/> takes from a <c>tokenizer_config.json</c>.</summary>
internal sealed record TokenizerConfig(string? BosToken, string? EosToken, string? PadToken, string? UnkToken, string? ChatTemplate)
{
    /// <summary>The configuration of a tokenizer that has no <c>tokenizer_config.json</c>.</summary>
    public static readonly TokenizerConfig Empty = new(null, null, null, null, null);
}
