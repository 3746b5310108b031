using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ContinualTrainer.Engine.Tokenization;

namespace ContinualTrainer.Dataset.General;

/// <summary>
/// The general text (<c>Dataset:GeneralCorpus</c>) that training replays so the model keeps its plain language,
/// split once and for all into a training part (replay windows are cut from it) and a held-out part (the
/// forgetting guard measures perplexity on it; it is never replayed).
/// </summary>
/// <remarks>
/// <para>Sources: one file, or every <c>.txt</c>, <c>.text</c>, <c>.md</c> and <c>.jsonl</c> file under a folder
/// (recursive, hidden files skipped, ordinal path order). Text files are split into paragraphs at blank lines;
/// each non-empty JSONL line is an object whose string <c>text</c> is one document.</para>
/// <para>Split: document i (0-based, over all files in order) is held out when
/// <c>floor((i + 1) f) &gt; floor(i f)</c> for the hold-out fraction f — every (1/f)-th document, evenly spread,
/// the same on every run.</para>
/// <para>Token streams: each document is encoded on its own, followed by the encoding of <c>"\n\n"</c>, and the
/// documents' ids are concatenated in order. A replay window is a token range of the training stream.</para>
/// </remarks>
public sealed class GeneralCorpus
{
    /// <summary>The most bytes a general corpus may have in all (it is held in memory).</summary>
    public const long MaxBytes = 1L << 30;

    private static readonly string[] TextExtensions = [".txt", ".text", ".md"];
    private readonly ConditionalWeakTable<BpeTokenizer, int[]> trainingTokens = [];

    private GeneralCorpus(string path, string contentHash, double holdoutFraction, IReadOnlyList<CorpusDocument> training, IReadOnlyList<CorpusDocument> heldOut)
    {
        Path = path;
        ContentHash = contentHash;
        HoldoutFraction = holdoutFraction;
        TrainingDocuments = training;
        HeldOutDocuments = heldOut;
    }

    /// <summary>The configured file or folder.</summary>
    public string Path { get; }

    /// <summary>Lower-case hex SHA-256 over the files' relative paths and bytes: changes when any source changes.</summary>
    public string ContentHash { get; }

    public double HoldoutFraction { get; }
    public IReadOnlyList<CorpusDocument> TrainingDocuments { get; }
    public IReadOnlyList<CorpusDocument> HeldOutDocuments { get; }

    /// <summary>Reads and splits the corpus. Throws <see cref="DatasetException"/> naming the file (and line) on bad input.</summary>
    public static GeneralCorpus Load(string path, double holdoutFraction)
    {
        if (!(holdoutFraction is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(holdoutFraction), holdoutFraction, "a fraction in (0, 1)");
        var full = System.IO.Path.GetFullPath(path);
        var files = ListFiles(full);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var documents = new List<CorpusDocument>();
        long total = 0;
        foreach (var file in files)
        {
            byte[] bytes;
            try
            {
                total += new FileInfo(file).Length;
                if (total > MaxBytes) throw new DatasetException($"general corpus {full}: more than {MaxBytes >> 20} MiB of text (at {file})");
                bytes = File.ReadAllBytes(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DatasetException($"general corpus {file}: cannot read: {e.Message}", e);
            }
            var relative = System.IO.Path.GetRelativePath(Directory.Exists(full) ? full : System.IO.Path.GetDirectoryName(full)!, file);
            hash.AppendData(Encoding.UTF8.GetBytes(relative + "\0" + bytes.LongLength + "\0"));
            hash.AppendData(bytes);
            var text = DecodeUtf8(bytes, file);
            if (file.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)) ReadJsonLines(file, text, documents);
            else ReadParagraphs(file, text, documents);
        }
        if (documents.Count == 0) throw new DatasetException($"general corpus {full}: no documents (no non-empty .txt/.text/.md paragraphs or .jsonl texts)");

        var training = new List<CorpusDocument>();
        var heldOut = new List<CorpusDocument>();
        for (var i = 0; i < documents.Count; i++)
        {
            var held = Math.Floor((i + 1) * holdoutFraction) > Math.Floor(i * holdoutFraction);
            (held ? heldOut : training).Add(documents[i]);
        }
        if (training.Count == 0 || heldOut.Count == 0)
            throw new DatasetException($"general corpus {full}: {documents.Count} document(s) are too few to hold out {holdoutFraction:0.###} of them and replay the rest");
        return new GeneralCorpus(full, Convert.ToHexStringLower(hash.GetHashAndReset()), holdoutFraction, training, heldOut);
    }

    /// <summary>The held-out documents, separated by blank lines: the text the forgetting guard scores.</summary>
    public string HeldOutText() => string.Join("\n\n", HeldOutDocuments.Select(d => d.Text));

    /// <summary>The held-out part as one token stream (see the remarks for how documents are joined).</summary>
    public int[] HeldOutTokens(BpeTokenizer tokenizer) => Encode(tokenizer, HeldOutDocuments);

    /// <summary>The training part as one token stream, computed once per tokenizer.</summary>
    public int[] TrainingTokens(BpeTokenizer tokenizer) => trainingTokens.GetValue(tokenizer, t => Encode(t, TrainingDocuments));

    private static int[] Encode(BpeTokenizer tokenizer, IReadOnlyList<CorpusDocument> documents)
    {
        var separator = tokenizer.Encode("\n\n");
        var ids = new List<int>();
        foreach (var document in documents)
        {
            tokenizer.Encode(document.Text, ids);
            ids.AddRange(separator);
        }
        return [.. ids];
    }

    private static List<string> ListFiles(string path)
    {
        if (File.Exists(path)) return [path];
        if (!Directory.Exists(path)) throw new DatasetException($"general corpus {path}: no such file or folder");
        try
        {
            return Directory.EnumerateFiles(path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden })
                .Where(f => !System.IO.Path.GetFileName(f).StartsWith('.'))
                .Where(f => f.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)
                            || TextExtensions.Contains(System.IO.Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
                .ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException($"general corpus {path}: cannot list: {e.Message}", e);
        }
    }

    private static string DecodeUtf8(byte[] bytes, string file)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException e)
        {
            throw new DatasetException($"general corpus {file}: not UTF-8 text (invalid byte at offset {e.Index})", e);
        }
    }

    private static void ReadParagraphs(string file, string text, List<CorpusDocument> documents)
    {
        var paragraph = new StringBuilder();
        long line = 0, start = 0;
        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            line++;
            if (raw.IsWhiteSpace())
            {
                Flush();
                continue;
            }
            if (paragraph.Length == 0) start = line;
            else paragraph.Append('\n');
            paragraph.Append(raw.Trim());
        }
        Flush();

        void Flush()
        {
            if (paragraph.Length > 0) documents.Add(new CorpusDocument(file, start, paragraph.ToString()));
            paragraph.Clear();
        }
    }

    private static void ReadJsonLines(string file, string text, List<CorpusDocument> documents)
    {
        long line = 0;
        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            line++;
            if (raw.IsWhiteSpace()) continue;
            string? value;
            try
            {
                using var document = JsonDocument.Parse(raw.ToString());
                value = document.RootElement is { ValueKind: JsonValueKind.Object } root
                        && root.TryGetProperty("text", out var property) && property.ValueKind == JsonValueKind.String
                    ? property.GetString()
                    : null;
            }
            catch (JsonException)
            {
                throw new DatasetException($"general corpus {file} line {line}: not valid JSON");
            }
            if (value is null) throw new DatasetException($"general corpus {file} line {line}: expected an object with a string \"text\"");
            if (!string.IsNullOrWhiteSpace(value)) documents.Add(new CorpusDocument(file, line, value));
        }
    }
}
