using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// Turns one pre-token into ids: maps its UTF-8 bytes to byte-level symbols (when the pipeline has
/// ByteLevel), runs the <see cref="BpeModel"/> on them and memoizes the result in a
/// <see cref="BpeWordCache"/> keyed on the pre-token text. Thread-safe.
/// </summary>
[SkipLocalsInit] // stackalloc scratch buffers are always written before being read
internal sealed class WordEncoder
{
    private const int StackLimit = 256;
    private readonly BpeModel model;
    private readonly bool byteLevel;
    private readonly BpeWordCache cache;

    public WordEncoder(BpeModel model, bool byteLevel, int cacheCapacity)
    {
        this.model = model;
        this.byteLevel = byteLevel;
        cache = new BpeWordCache(cacheCapacity);
    }

    /// <summary>Appends the ids of <paramref name="preToken"/> to <paramref name="output"/>.</summary>
    public void Encode(ReadOnlySpan<char> preToken, List<int> output)
    {
        if (cache.TryGet(preToken, out var cached))
        {
            output.AddRange(cached);
            return;
        }
        var start = output.Count;
        if (byteLevel) EncodeByteLevel(preToken, output);
        else model.Tokenize(preToken, output);
        cache.TryAdd(preToken, CollectionsMarshal.AsSpan(output)[start..]);
    }

    private void EncodeByteLevel(ReadOnlySpan<char> preToken, List<int> output)
    {
        var byteCount = Encoding.UTF8.GetByteCount(preToken);
        byte[]? rentedBytes = null;
        char[]? rentedChars = null;
        Span<byte> bytes = byteCount <= StackLimit
            ? stackalloc byte[StackLimit]
            : rentedBytes = ArrayPool<byte>.Shared.Rent(byteCount);
        Span<char> symbols = byteCount <= StackLimit
            ? stackalloc char[StackLimit]
            : rentedChars = ArrayPool<char>.Shared.Rent(byteCount);
        Encoding.UTF8.GetBytes(preToken, bytes);
        var alphabet = ByteLevelAlphabet.ByteToChar;
        for (var i = 0; i < byteCount; i++) symbols[i] = alphabet[bytes[i]];
        model.Tokenize(symbols[..byteCount], output);
        if (rentedBytes is not null) ArrayPool<byte>.Shared.Return(rentedBytes);
        if (rentedChars is not null) ArrayPool<char>.Shared.Return(rentedChars);
    }
}
