using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// The <c>normalizer</c> of a <c>tokenizer.json</c>: a sequence of canonical Unicode normalizations
/// (NFC, NFD), possibly empty, applied to the text between added tokens.
/// </summary>
internal sealed class TextNormalizer
{
    private readonly NormalizationForm[] forms;

    public TextNormalizer(IReadOnlyList<NormalizationForm> forms) => this.forms = [.. forms];

    /// <summary>
    /// Normalizes <paramref name="text"/>; returns false (and no string) when it is already in normal
    /// form, which is the common case and allocates nothing.
    /// </summary>
    public bool TryNormalize(ReadOnlySpan<char> text, [NotNullWhen(true)] out string? normalized)
    {
        normalized = null;
        foreach (var form in forms)
        {
            var composed = form == NormalizationForm.FormC;
            var current = normalized is null ? text : normalized.AsSpan();
            if (UnicodeNormalizer.IsTriviallyNormalized(current, composed)) continue;
            var result = UnicodeNormalizer.Normalize(current, composed);
            if (!current.SequenceEqual(result)) normalized = result;
        }
        return normalized is not null;
    }

    /// <summary>Normalizes a whole string (used for the contents of normalized added tokens).</summary>
    public string Normalize(string text) => TryNormalize(text, out var normalized) ? normalized : text;
}
