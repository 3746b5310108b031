using System.Buffers;
using System.Text.RegularExpressions;

namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// Allocation-free walk over the pieces a <see cref="SplitRule"/> cuts a text into. The regex's
/// matches and the gaps between them form an alternating item stream (as Hugging Face's
/// <c>find_matches</c>), which <see cref="SplitBehavior"/> folds into pieces; empty pieces are dropped.
/// </summary>
internal ref struct SplitPieceEnumerator
{
    private readonly SplitRule rule;
    private readonly int length;          // original text length
    private readonly int[]? rentedMap;    // compacted index -> original index, when the text has surrogates
    private readonly char[]? rentedText;
    private Regex.ValueMatchEnumerator matches;

    private int previousEnd;
    private bool itemsDone;
    private bool hasQueuedMatch;
    private int queuedStart, queuedEnd;

    private bool hasPending;
    private int pendingStart, pendingEnd;
    private bool pendingIsUnmergedMatch;
    private bool previousWasMatch;

    public SplitPieceEnumerator(SplitRule rule, ReadOnlySpan<char> text)
    {
        this.rule = rule;
        length = text.Length;
        if (CodePointCompaction.IsNeeded(text))
        {
            rentedText = ArrayPool<char>.Shared.Rent(text.Length);
            rentedMap = ArrayPool<int>.Shared.Rent(text.Length + 1);
            var n = CodePointCompaction.Compact(text, rentedText, rentedMap);
            matches = rule.Regex.EnumerateMatches(rentedText.AsSpan(0, n));
        }
        else
        {
            matches = rule.Regex.EnumerateMatches(text);
        }
    }

    /// <summary>The current piece, as a range into the text.</summary>
    public Range Current { get; private set; }

    public readonly SplitPieceEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        while (NextItem(out var start, out var end, out var isMatch))
        {
            switch (rule.Behavior)
            {
                case SplitBehavior.Isolated:
                    if (start < end) return Emit(start, end);
                    break;
                case SplitBehavior.Removed:
                    if (!isMatch && start < end) return Emit(start, end);
                    break;
                case SplitBehavior.MergedWithPrevious:
                    if (isMatch && !previousWasMatch && hasPending)
                    {
                        pendingEnd = end;
                        previousWasMatch = true;
                        break;
                    }
                    previousWasMatch = isMatch;
                    if (Replace(start, end, isMatch)) return true;
                    break;
                case SplitBehavior.MergedWithNext:
                    if (!isMatch && hasPending && pendingIsUnmergedMatch)
                    {
                        pendingEnd = end;
                        pendingIsUnmergedMatch = false;
                        break;
                    }
                    if (Replace(start, end, isMatch)) return true;
                    break;
                case SplitBehavior.Contiguous:
                    if (isMatch == previousWasMatch && hasPending)
                    {
                        pendingEnd = end;
                        break;
                    }
                    previousWasMatch = isMatch;
                    if (Replace(start, end, isMatch)) return true;
                    break;
            }
        }
        if (hasPending)
        {
            hasPending = false;
            if (pendingStart < pendingEnd) return Emit(pendingStart, pendingEnd);
        }
        return false;
    }

    public void Dispose()
    {
        if (rentedText is not null) ArrayPool<char>.Shared.Return(rentedText);
        if (rentedMap is not null) ArrayPool<int>.Shared.Return(rentedMap);
    }

    private bool Emit(int start, int end)
    {
        Current = new Range(start, end);
        return true;
    }

    // Makes the item the pending piece; returns true (with Current set) when the old one was non-empty.
    private bool Replace(int start, int end, bool isMatch)
    {
        var flush = hasPending && pendingStart < pendingEnd;
        if (flush) Current = new Range(pendingStart, pendingEnd);
        hasPending = true;
        pendingStart = start;
        pendingEnd = end;
        pendingIsUnmergedMatch = isMatch;
        return flush;
    }

    // The alternating gap/match item stream in original-text coordinates.
    private bool NextItem(out int start, out int end, out bool isMatch)
    {
        if (hasQueuedMatch)
        {
            hasQueuedMatch = false;
            (start, end, isMatch) = (queuedStart, queuedEnd, !rule.Invert);
            return true;
        }
        if (!itemsDone)
        {
            bool found;
            try
            {
                found = matches.MoveNext();
            }
            catch (RegexMatchTimeoutException e)
            {
                throw new InvalidOperationException(
                    $"pre-tokenizer regex timed out after {SplitRule.MatchTimeout.TotalSeconds} s on a {length}-char piece", e);
            }
            if (found)
            {
                var m = matches.Current;
                var matchStart = Original(m.Index);
                var matchEnd = Original(m.Index + m.Length);
                if (previousEnd != matchStart)
                {
                    (start, end, isMatch) = (previousEnd, matchStart, rule.Invert);
                    (hasQueuedMatch, queuedStart, queuedEnd) = (true, matchStart, matchEnd);
                }
                else
                {
                    (start, end, isMatch) = (matchStart, matchEnd, !rule.Invert);
                }
                previousEnd = matchEnd;
                return true;
            }
            itemsDone = true;
            if (previousEnd != length)
            {
                (start, end, isMatch) = (previousEnd, length, rule.Invert);
                return true;
            }
        }
        (start, end, isMatch) = (0, 0, false);
        return false;
    }

    private readonly int Original(int index) => rentedMap is null ? index : rentedMap[index];
}
