using System.Buffers;
using System.Globalization;
using System.Text;

namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// Finds added tokens in a text the way Hugging Face's <c>AddedVocabulary</c> does: non-overlapping
/// leftmost-longest matches, a <c>single_word</c> token skipped when a word character touches it,
/// <c>lstrip</c>/<c>rstrip</c> extending the match over adjacent whitespace.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly (string Pattern, AddedToken Token)[] entries; // longest pattern first
    private readonly SearchValues<string>? firstOccurrence;

    /// <param name="entries">Each token with the text to look for (its content, normalized when the token is).</param>
    public AddedTokenMatcher(IEnumerable<(string Pattern, AddedToken Token)> entries)
    {
        this.entries = [.. entries.Where(e => e.Pattern.Length > 0).OrderByDescending(e => e.Pattern.Length)];
        firstOccurrence = this.entries.Length == 0
            ? null
            : SearchValues.Create([.. this.entries.Select(e => e.Pattern).Distinct()], StringComparison.Ordinal);
    }

    /// <summary>
    /// Finds the next match at or after <paramref name="searchFrom"/>. <paramref name="consumed"/> is
    /// where the previous match ended (an <c>lstrip</c> never reaches before it). On success
    /// <paramref name="searchFrom"/> moves past the match.
    /// </summary>
    public bool TryFindNext(ReadOnlySpan<char> text, ref int searchFrom, int consumed, out int start, out int end, out int id)
    {
        while (firstOccurrence is not null && searchFrom < text.Length)
        {
            var offset = text[searchFrom..].IndexOfAny(firstOccurrence);
            if (offset < 0) break;
            start = searchFrom + offset;
            var token = LongestAt(text[start..], out var length);
            end = start + length;
            if (token.SingleWord && !StandsAlone(text, start, end))
            {
                searchFrom = end;
                continue;
            }
            if (token.LStrip)
            {
                while (start > consumed && Rune.DecodeLastFromUtf16(text[..start], out var r, out var w) == OperationStatus.Done && Rune.IsWhiteSpace(r)) start -= w;
            }
            if (token.RStrip)
            {
                while (end < text.Length && Rune.DecodeFromUtf16(text[end..], out var r, out var w) == OperationStatus.Done && Rune.IsWhiteSpace(r)) end += w;
            }
            id = token.Id;
            searchFrom = end;
            return true;
        }
        (start, end, id) = (0, 0, -1);
        return false;
    }

    private AddedToken LongestAt(ReadOnlySpan<char> text, out int length)
    {
        foreach (var (pattern, token) in entries)
        {
            if (!text.StartsWith(pattern, StringComparison.Ordinal)) continue;
            length = pattern.Length;
            return token;
        }
        throw new InvalidOperationException("added-token search reported a match that no token has");
    }

    // Hugging Face checks `\w$` before and `^\w` after the match (Rust regex's Unicode \w).
    private static bool StandsAlone(ReadOnlySpan<char> text, int start, int end)
    {
        if (start > 0 && Rune.DecodeLastFromUtf16(text[..start], out var before, out _) == OperationStatus.Done && IsWordCharacter(before)) return false;
        if (end < text.Length && Rune.DecodeFromUtf16(text[end..], out var after, out _) == OperationStatus.Done && IsWordCharacter(after)) return false;
        return true;
    }

    private static bool IsWordCharacter(Rune rune)
    {
        if (rune.Value is 0x200C or 0x200D) return true;
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
                or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
                or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.ConnectorPunctuation => true,
            _ => false,
        };
    }
}
