namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// Orders BPE merge candidates for <see cref="BpeTrainer"/>'s priority queue: the most frequent pair first, ties
/// broken by the pair's ids (smaller left id, then smaller right id), so training is deterministic.
/// </summary>
internal sealed class MergeCandidateComparer : IComparer<(long Count, SymbolPair Pair)>
{
    public static readonly MergeCandidateComparer Instance = new();

    public int Compare((long Count, SymbolPair Pair) x, (long Count, SymbolPair Pair) y) =>
        x.Count != y.Count ? y.Count.CompareTo(x.Count) : x.Pair.CompareTo(y.Pair);
}
