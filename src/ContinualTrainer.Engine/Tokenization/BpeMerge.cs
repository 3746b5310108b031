namespace ContinualTrainer.Engine.Tokenization;

/// <summary>One learned merge: the adjacent tokens <see cref="Left"/> and <see cref="Right"/> become <see cref="Merged"/>.</summary>
public readonly record struct BpeMerge(int Left, int Right, int Merged);
