using System.Text.RegularExpressions;

namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// One <c>Split</c> pre-tokenizer: a regex (or an escaped literal string), what to do with its
/// matches (<see cref="SplitBehavior"/>) and whether the pattern is inverted (its gaps treated as
/// the matches). Also serves ByteLevel's built-in GPT-2 split.
/// </summary>
internal sealed class SplitRule
{
    /// <summary>The GPT-2 pattern ByteLevel applies itself when <c>use_regex</c> is true.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Bound on one regex scan, so a pathological pattern from a file cannot hang the caller.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(10);

    public SplitRule(Regex regex, SplitBehavior behavior, bool invert)
    {
        Regex = regex;
        Behavior = behavior;
        Invert = invert;
    }

    public Regex Regex { get; }

    public SplitBehavior Behavior { get; }

    public bool Invert { get; }

    /// <summary>Compiles <paramref name="pattern"/> with Oniguruma-compatible options and the match timeout.</summary>
    public static Regex Compile(string pattern) =>
        new(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant, MatchTimeout);

    /// <summary>The non-empty pieces of <paramref name="text"/>, as ranges into it, in order.</summary>
    public SplitPieceEnumerator EnumeratePieces(ReadOnlySpan<char> text) => new(this, text);
}
