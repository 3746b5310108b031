using System.Buffers;
using System.Runtime.CompilerServices;

namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// The pre-tokenizer pipeline of a byte-level BPE <c>tokenizer.json</c>: zero or more
/// <see cref="SplitRule"/>s applied in sequence, optionally followed by ByteLevel (which may prefix
/// each piece with a space and split it with the GPT-2 pattern; its byte-to-symbol mapping is done by
/// <see cref="WordEncoder"/>). Pre-tokens are passed to a sink as spans, without allocating.
/// </summary>
[SkipLocalsInit] // stackalloc scratch buffers are always written before being read
internal sealed class PreTokenizer
{
    private const int StackLimit = 256;
    private readonly SplitRule[] rules;
    private readonly SplitRule? byteLevelSplit;
    private readonly bool addPrefixSpace;

    public PreTokenizer(IReadOnlyList<SplitRule> rules, bool byteLevel, bool addPrefixSpace, bool useRegex)
    {
        this.rules = [.. rules];
        ByteLevel = byteLevel;
        this.addPrefixSpace = byteLevel && addPrefixSpace;
        byteLevelSplit = byteLevel && useRegex
            ? new SplitRule(SplitRule.Compile(SplitRule.Gpt2Pattern), SplitBehavior.Isolated, invert: false)
            : null;
    }

    /// <summary>Whether the pipeline ends with ByteLevel, so words are encoded as byte-level symbols.</summary>
    public bool ByteLevel { get; }

    /// <summary>Cuts <paramref name="text"/> (already normalized) into pre-tokens.</summary>
    public void Run<TSink>(ReadOnlySpan<char> text, ref TSink sink) where TSink : IPreTokenSink
    {
        if (!text.IsEmpty) Split(text, 0, ref sink);
    }

    private void Split<TSink>(ReadOnlySpan<char> text, int level, ref TSink sink) where TSink : IPreTokenSink
    {
        if (level == rules.Length)
        {
            Finish(text, ref sink);
            return;
        }
        foreach (var piece in rules[level].EnumeratePieces(text)) Split(text[piece], level + 1, ref sink);
    }

    private void Finish<TSink>(ReadOnlySpan<char> text, ref TSink sink) where TSink : IPreTokenSink
    {
        if (!addPrefixSpace || text[0] == ' ')
        {
            SplitByteLevel(text, ref sink);
            return;
        }
        char[]? rented = null;
        var buffer = text.Length < StackLimit
            ? stackalloc char[text.Length + 1]
            : (rented = ArrayPool<char>.Shared.Rent(text.Length + 1)).AsSpan(0, text.Length + 1);
        buffer[0] = ' ';
        text.CopyTo(buffer[1..]);
        SplitByteLevel(buffer, ref sink);
        if (rented is not null) ArrayPool<char>.Shared.Return(rented);
    }

    private void SplitByteLevel<TSink>(ReadOnlySpan<char> text, ref TSink sink) where TSink : IPreTokenSink
    {
        if (byteLevelSplit is null)
        {
            sink.Accept(text);
            return;
        }
        foreach (var piece in byteLevelSplit.EnumeratePieces(text)) sink.Accept(text[piece]);
    }
}
