using System.Collections.Concurrent;

namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// Bounded, thread-safe memo of pre-token text to BPE ids. Lookups take a span and allocate nothing;
/// once <see cref="Capacity"/> entries are stored, new words are no longer added (as Hugging Face's
/// BPE cache), so memory stays bounded on any input.
/// </summary>
internal sealed class BpeWordCache
{
    /// <summary>Words longer than this are not cached (they are rare and would bloat the cache).</summary>
    public const int MaxWordLength = 128;

    private readonly ConcurrentDictionary<string, int[]> map = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> lookup;
    private int count;

    public BpeWordCache(int capacity)
    {
        Capacity = capacity;
        lookup = map.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Capacity { get; }

    public bool TryGet(ReadOnlySpan<char> word, out int[] ids) => lookup.TryGetValue(word, out ids!);

    public void TryAdd(ReadOnlySpan<char> word, ReadOnlySpan<int> ids)
    {
        if (word.Length > MaxWordLength || Volatile.Read(ref count) >= Capacity) return;
        if (lookup.TryAdd(word, ids.ToArray())) Interlocked.Increment(ref count);
    }
}
