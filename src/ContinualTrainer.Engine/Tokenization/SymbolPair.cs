namespace ContinualTrainer.Engine.Tokenization;

/// <summary>Two adjacent symbol ids of a word, as BPE training counts and merges them. Ordered by left id, then right id.</summary>
internal readonly record struct SymbolPair(int Left, int Right) : IComparable<SymbolPair>
{
    public int CompareTo(SymbolPair other) => Left != other.Left ? Left.CompareTo(other.Left) : Right.CompareTo(other.Right);
}
