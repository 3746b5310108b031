using System.Buffers;
using System.Text;

namespace ContinualTrainer.Engine.Tokenization;

/// <summary>
/// A byte-level BPE tokenizer (GPT-2, Llama 3, Qwen2/3) loaded from a Hugging Face <c>tokenizer.json</c>
/// that produces the same ids as Hugging Face tokenizers. Encoding: added tokens are cut out of the
/// raw text (leftmost-longest, never split), the text between them is normalized (NFC), pre-tokenized
/// (regex Split rules, then ByteLevel) and each pre-token is BPE-merged. No special tokens are added
/// (the post-processor is not applied). Instances are immutable apart from an internal bounded word
/// cache, and safe to use from several threads at once.
/// </summary>
public sealed class BpeTokenizer
{
    /// <summary>Words memoized per tokenizer (the cache stops growing at this size).</summary>
    public const int WordCacheCapacity = 100_000;

    private readonly TextNormalizer normalizer;
    private readonly PreTokenizer preTokenizer;
    private readonly WordEncoder words;
    private readonly AddedTokenMatcher rawAddedTokens;        // normalized: false, matched on the raw text
    private readonly AddedTokenMatcher normalizedAddedTokens; // normalized: true, matched after normalization
    private readonly Dictionary<string, int> addedTokenIds = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, int> vocab;
    private readonly string?[] idToToken; // (VocabSize)
    private readonly byte[]?[] idToBytes; // (VocabSize) decoded bytes of each token

    private BpeTokenizer(TokenizerDefinition definition, TokenizerConfig config)
    {
        normalizer = definition.Normalizer;
        preTokenizer = definition.PreTokenizer;
        words = new WordEncoder(definition.Model, preTokenizer.ByteLevel, WordCacheCapacity);
        vocab = definition.Model.Vocab;
        AddedTokens = definition.AddedTokens;
        foreach (var token in AddedTokens) addedTokenIds[token.Content] = token.Id;
        rawAddedTokens = new AddedTokenMatcher(AddedTokens.Where(t => !t.Normalized).Select(t => (t.Content, t)));
        normalizedAddedTokens = new AddedTokenMatcher(AddedTokens.Where(t => t.Normalized).Select(t => (normalizer.Normalize(t.Content), t)));

        var maxId = -1;
        foreach (var id in vocab.Values) maxId = Math.Max(maxId, id);
        foreach (var token in AddedTokens) maxId = Math.Max(maxId, token.Id);
        VocabSize = maxId + 1;
        idToToken = new string?[VocabSize];
        foreach (var (token, id) in vocab) idToToken[id] = token;
        foreach (var token in AddedTokens) idToToken[token.Id] = token.Content;
        idToBytes = new byte[]?[VocabSize];
        for (var id = 0; id < VocabSize; id++)
        {
            if (idToToken[id] is { } token) idToBytes[id] = ByteLevelDecode(token);
        }

        ChatTemplate = config.ChatTemplate;
        var unk = config.UnkToken ?? definition.UnkToken;
        Special = new TokenizerSpecialTokens(
            config.BosToken, IdOf(config.BosToken),
            config.EosToken, IdOf(config.EosToken),
            config.PadToken, IdOf(config.PadToken),
            unk, IdOf(unk));
    }

    /// <summary>One more than the largest id of the vocabulary and the added tokens.</summary>
    public int VocabSize { get; }

    /// <summary>The bos/eos/pad/unk tokens named by <c>tokenizer_config.json</c>, with their ids.</summary>
    public TokenizerSpecialTokens Special { get; }

    /// <summary>The Jinja chat template from <c>tokenizer_config.json</c>, or null when there is none.</summary>
    public string? ChatTemplate { get; }

    /// <summary>The added tokens (special and not) in file order.</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>
    /// Loads a <c>tokenizer.json</c>, plus the <c>tokenizer_config.json</c> next to it when present.
    /// Throws <see cref="InvalidDataException"/> naming the file when it is malformed or unsupported.
    /// </summary>
    public static BpeTokenizer FromFile(string tokenizerJsonPath)
    {
        ArgumentNullException.ThrowIfNull(tokenizerJsonPath);
        var definition = TokenizerJsonReader.Read(tokenizerJsonPath);
        var configPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerJsonPath))!, "tokenizer_config.json");
        var config = File.Exists(configPath) ? TokenizerConfigReader.Read(configPath) : TokenizerConfig.Empty;
        return new BpeTokenizer(definition, config);
    }

    /// <summary>Loads <c>tokenizer.json</c> (and <c>tokenizer_config.json</c>) from a Hugging Face model directory.</summary>
    public static BpeTokenizer FromDirectory(string modelDir)
    {
        ArgumentNullException.ThrowIfNull(modelDir);
        var path = Path.Combine(modelDir, "tokenizer.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"model directory '{modelDir}' has no tokenizer.json", path);
        return FromFile(path);
    }

    /// <summary>Encodes <paramref name="text"/> to ids, without adding special tokens.</summary>
    public int[] Encode(string text)
    {
        var ids = new List<int>(text.Length / 3 + 4);
        Encode(text, ids);
        return [.. ids];
    }

    /// <summary>
    /// Appends the ids of <paramref name="text"/> to <paramref name="output"/> (which is not cleared).
    /// Lone UTF-16 surrogates, which UTF-8 cannot represent, are encoded as U+FFFD.
    /// </summary>
    public void Encode(string text, List<int> output)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(output);
        var sink = new WordSink(words, output);
        EncodeRaw(ReplaceLoneSurrogates(text), output, ref sink);
    }

    /// <summary>
    /// Decodes ids back to text: the tokens' bytes are concatenated (a character may span tokens) and
    /// read as UTF-8, each invalid sequence becoming U+FFFD. Special tokens are kept as their text.
    /// </summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var total = 0;
        for (var i = 0; i < ids.Length; i++) total += BytesOf(ids[i], i).Length;
        var buffer = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            var written = 0;
            for (var i = 0; i < ids.Length; i++)
            {
                var bytes = BytesOf(ids[i], i);
                bytes.CopyTo(buffer.AsSpan(written));
                written += bytes.Length;
            }
            return Encoding.UTF8.GetString(buffer, 0, written);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The id of a token (added tokens first, then the vocabulary), or null.</summary>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (addedTokenIds.TryGetValue(token, out var added)) return added;
        return vocab.TryGetValue(token, out var id) ? id : null;
    }

    /// <summary>The token string of an id (in byte-level symbols for vocabulary tokens), or null.</summary>
    public string? IdToToken(int id) => (uint)id < (uint)idToToken.Length ? idToToken[id] : null;

    private int? IdOf(string? token) => token is null ? null : TokenToId(token);

    private void EncodeRaw(ReadOnlySpan<char> text, List<int> output, ref WordSink sink)
    {
        int consumed = 0, searchFrom = 0;
        while (rawAddedTokens.TryFindNext(text, ref searchFrom, consumed, out var start, out var end, out var id))
        {
            if (start > consumed) EncodeNormalized(text[consumed..start], output, ref sink);
            output.Add(id);
            consumed = end;
        }
        if (consumed < text.Length) EncodeNormalized(text[consumed..], output, ref sink);
    }

    private void EncodeNormalized(ReadOnlySpan<char> piece, List<int> output, ref WordSink sink)
    {
        if (normalizer.TryNormalize(piece, out var normalized)) piece = normalized;
        int consumed = 0, searchFrom = 0;
        while (normalizedAddedTokens.TryFindNext(piece, ref searchFrom, consumed, out var start, out var end, out var id))
        {
            if (start > consumed) preTokenizer.Run(piece[consumed..start], ref sink);
            output.Add(id);
            consumed = end;
        }
        if (consumed < piece.Length) preTokenizer.Run(piece[consumed..], ref sink);
    }

    private ReadOnlySpan<byte> BytesOf(int id, int position) =>
        (uint)id < (uint)idToBytes.Length && idToBytes[id] is { } bytes
            ? bytes
            : throw new ArgumentOutOfRangeException(nameof(id), id, $"token id {id} at position {position} is not in the vocabulary");

    // The ByteLevel decoder: a token whose characters are all byte-level symbols stands for those
    // bytes; any other token (e.g. an added token with a space) stands for its own UTF-8.
    private static byte[] ByteLevelDecode(string token)
    {
        var bytes = new byte[token.Length];
        for (var i = 0; i < token.Length; i++)
        {
            var b = ByteLevelAlphabet.CharToByte(token[i]);
            if (b < 0) return Encoding.UTF8.GetBytes(token);
            bytes[i] = (byte)b;
        }
        return bytes;
    }

    private static ReadOnlySpan<char> ReplaceLoneSurrogates(string text)
    {
        var first = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (first < 0) return text;
        char[]? copy = null;
        for (var i = first; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            if (!char.IsSurrogate(text[i])) continue;
            copy ??= text.ToCharArray();
            copy[i] = '\uFFFD';
        }
        return copy ?? text.AsSpan();
    }
}
