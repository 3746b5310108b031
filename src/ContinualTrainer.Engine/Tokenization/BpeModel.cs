using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// The BPE model of a <c>tokenizer.json</c>: splits a word into one symbol per code point, then
/// repeatedly applies the lowest-ranked merge (leftmost first) until none applies, with a min-heap of
/// candidate pairs over a linked list of symbols (Hugging Face's <c>Word::merge_all</c>). Symbols
/// missing from the vocabulary become <c>&lt;0xXX&gt;</c> byte tokens (<c>byte_fallback</c>), the
/// unknown token (fused when <c>fuse_unk</c>) or, with neither, are dropped, as Hugging Face does.
/// Immutable and thread-safe.
/// </summary>
[SkipLocalsInit] // stackalloc scratch buffers are always written before being read
internal sealed class BpeModel
{
    private const int StackLimit = 128;
    private readonly Dictionary<string, int> vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> vocabLookup;
    private readonly Dictionary<long, long> merges; // (left << 32 | right) -> (rank << 32 | merged id)
    private readonly int[] bmpSymbolIds;            // single-UTF-16-unit tokens, -1 when absent
    private readonly Dictionary<int, int> astralSymbolIds = new();
    private readonly int[]? byteFallbackIds;         // id of <0xXX> for each byte, -1 when absent
    private readonly int unkId;
    private readonly bool fuseUnk;
    private readonly bool ignoreMerges;

    public BpeModel(Dictionary<string, int> vocab, Dictionary<long, long> merges, int? unkId, bool byteFallback, bool fuseUnk, bool ignoreMerges)
    {
        this.vocab = vocab;
        vocabLookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        this.merges = merges;
        this.unkId = unkId ?? -1;
        this.fuseUnk = fuseUnk;
        this.ignoreMerges = ignoreMerges;
        bmpSymbolIds = new int[char.MaxValue + 1];
        Array.Fill(bmpSymbolIds, -1);
        foreach (var (token, id) in vocab)
        {
            if (token.Length == 1) bmpSymbolIds[token[0]] = id;
            else if (token.Length == 2 && char.IsSurrogatePair(token[0], token[1])) astralSymbolIds[char.ConvertToUtf32(token[0], token[1])] = id;
        }
        if (byteFallback)
        {
            byteFallbackIds = new int[256];
            for (var b = 0; b < 256; b++) byteFallbackIds[b] = vocab.TryGetValue($"<0x{b:X2}>", out var id) ? id : -1;
        }
    }

    /// <summary>Token string to id for the model's own vocabulary (added tokens excluded).</summary>
    public IReadOnlyDictionary<string, int> Vocab => vocab;

    /// <summary>
    /// Packs a merge-map key. The packed pair is multiplied by an odd constant (a bijection on 64 bits)
    /// because <see cref="long.GetHashCode"/> folds the halves with XOR, which would put every pair of
    /// small ids into a few hundred buckets.
    /// </summary>
    public static long PairKey(int left, int right) => (long)((((ulong)(uint)left << 32) | (uint)right) * 0x9E3779B97F4A7C15UL);

    /// <summary>Packs a merge-map value.</summary>
    public static long MergeValue(int rank, int mergedId) => ((long)rank << 32) | (uint)mergedId;

    /// <summary>Appends the ids of <paramref name="word"/> (one pre-token, in vocabulary symbols) to <paramref name="output"/>.</summary>
    public void Tokenize(ReadOnlySpan<char> word, List<int> output)
    {
        if (word.IsEmpty) return;
        if (ignoreMerges && vocabLookup.TryGetValue(word, out var whole))
        {
            output.Add(whole);
            return;
        }
        // Byte fallback can turn one UTF-16 unit into up to 3 byte tokens (a pair into 4).
        var capacity = word.Length * 3;
        int[]? rentedInts = null;
        long[]? rentedHeap = null;
        var ints = capacity <= StackLimit
            ? stackalloc int[3 * StackLimit]
            : (rentedInts = ArrayPool<int>.Shared.Rent(3 * capacity)).AsSpan();
        var heap = capacity <= StackLimit
            ? stackalloc long[3 * StackLimit]
            : (rentedHeap = ArrayPool<long>.Shared.Rent(3 * capacity)).AsSpan();
        var ids = ints[..capacity];                      // (n) symbol id, -1 once merged away
        var next = ints.Slice(capacity, capacity);       // (n) index of the next live symbol, -1 at the end
        var prev = ints.Slice(2 * capacity, capacity);   // (n) index of the previous live symbol, -1 at the start
        var n = InitialSymbols(word, ids);
        if (n == 1) output.Add(ids[0]);
        if (n > 1)
        {
            Merge(ids[..n], next, prev, heap);
            for (var i = 0; i >= 0; i = next[i]) output.Add(ids[i]);
        }
        if (rentedInts is not null) ArrayPool<int>.Shared.Return(rentedInts);
        if (rentedHeap is not null) ArrayPool<long>.Shared.Return(rentedHeap);
    }

    private int InitialSymbols(ReadOnlySpan<char> word, Span<int> ids)
    {
        var n = 0;
        var pendingUnk = false;
        for (var i = 0; i < word.Length; i++)
        {
            int id;
            var rune = default(Rune);
            var width = 1;
            if (char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]))
            {
                rune = new Rune(word[i], word[i + 1]);
                width = 2;
                id = astralSymbolIds.TryGetValue(rune.Value, out var a) ? a : -1;
            }
            else
            {
                id = bmpSymbolIds[word[i]];
                if (id < 0) rune = Rune.IsValid(word[i]) ? new Rune(word[i]) : Rune.ReplacementChar;
            }
            i += width - 1;
            if (id >= 0)
            {
                if (pendingUnk) (ids[n++], pendingUnk) = (unkId, false);
                ids[n++] = id;
                continue;
            }
            if (TryByteFallback(rune, ids, ref n, ref pendingUnk)) continue;
            if (unkId < 0) continue;
            if (pendingUnk && !fuseUnk) ids[n++] = unkId;
            pendingUnk = true;
        }
        if (pendingUnk) ids[n++] = unkId;
        return n;
    }

    private bool TryByteFallback(Rune rune, Span<int> ids, ref int n, ref bool pendingUnk)
    {
        if (byteFallbackIds is null) return false;
        Span<byte> utf8 = stackalloc byte[4];
        var count = rune.EncodeToUtf8(utf8);
        for (var b = 0; b < count; b++)
            if (byteFallbackIds[utf8[b]] < 0) return false;
        if (pendingUnk) (ids[n++], pendingUnk) = (unkId, false);
        for (var b = 0; b < count; b++) ids[n++] = byteFallbackIds[utf8[b]];
        return true;
    }

    // Applies merges lowest rank first (ties: leftmost) until none applies; ids[i] of merged-away
    // symbols become -1 and the survivors stay linked through next/prev from index 0.
    private void Merge(Span<int> ids, Span<int> next, Span<int> prev, Span<long> heap)
    {
        var n = ids.Length;
        var heapCount = 0;
        for (var i = 0; i < n; i++)
        {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
            if (i + 1 < n) PushCandidate(ids, i, i + 1, heap, ref heapCount);
        }
        while (heapCount > 0)
        {
            var top = HeapPop(heap, ref heapCount);
            var pos = (int)(top & 0xFFFFFFFF);
            var rank = (int)(top >> 32);
            if (ids[pos] < 0) continue;
            var right = next[pos];
            if (right < 0) continue;
            if (!merges.TryGetValue(PairKey(ids[pos], ids[right]), out var merge) || (int)(merge >> 32) != rank) continue;
            ids[pos] = (int)(merge & 0xFFFFFFFF);
            ids[right] = -1;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            if (prev[pos] >= 0) PushCandidate(ids, prev[pos], pos, heap, ref heapCount);
            if (next[pos] >= 0) PushCandidate(ids, pos, next[pos], heap, ref heapCount);
        }
    }

    private void PushCandidate(Span<int> ids, int left, int right, Span<long> heap, ref int count)
    {
        if (merges.TryGetValue(PairKey(ids[left], ids[right]), out var merge))
            HeapPush(heap, ref count, (merge & ~0xFFFFFFFFL) | (uint)left);
    }

    private static void HeapPush(Span<long> heap, ref int count, long value)
    {
        var i = count++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (heap[parent] <= value) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = value;
    }

    private static long HeapPop(Span<long> heap, ref int count)
    {
        var top = heap[0];
        var last = heap[--count];
        var i = 0;
        while (true)
        {
            var child = 2 * i + 1;
            if (child >= count) break;
            if (child + 1 < count && heap[child + 1] < heap[child]) child++;
            if (heap[child] >= last) break;
            heap[i] = heap[child];
            i = child;
        }
        if (count > 0) heap[i] = last;
        return top;
    }
}
