using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using ContinualTrainer.Checkpoints;
using ContinualTrainer.Dataset;
using ContinualTrainer.Dataset.General;

namespace ContinualTrainer.Bootstrap;

/// <summary>
/// Turns source text files (plain or <c>.gz</c>, UTF-8) into the documents of a general corpus, lightly cleaned:
/// overstrike backspaces are applied and other control characters dropped, a line without any letter or digit
/// (a blank line, a fortune's <c>%</c>, a table rule, box drawing) ends a paragraph, a line that is mostly
/// symbols (ASCII art) is dropped, and each remaining paragraph (its lines trimmed) is one document. The documents
/// are written in the layout <see cref="GeneralCorpus"/> reads: paragraphs separated by one blank line.
/// </summary>
public static class CorpusAssembler
{
    /// <summary>The documents of <paramref name="files"/>, in order. Throws <see cref="DatasetException"/> naming a file that cannot be read.</summary>
    public static List<string> ReadDocuments(IEnumerable<string> files, CancellationToken cancellationToken)
    {
        var documents = new List<string>();
        var budget = GeneralCorpus.MaxBytes;
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var bytes = ReadBytes(file, budget);
            budget -= bytes.Length;
            AddParagraphs(DecodeUtf8(file, bytes), documents);
        }
        return documents;
    }

    /// <summary>Writes <paramref name="documents"/> to <paramref name="path"/> through a temporary file, flushed and renamed into place.</summary>
    public static void Write(string path, IReadOnlyList<string> documents)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.tmp-{RandomNumberGenerator.GetHexString(12, lowercase: true)}");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
            {
                for (var i = 0; i < documents.Count; i++)
                {
                    if (i > 0) writer.Write("\n\n");
                    writer.Write(documents[i]);
                }
                writer.Write('\n');
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        PosixFiles.FlushDirectory(directory);
    }

    /// <summary>Adds the cleaned paragraphs of <paramref name="text"/> to <paramref name="documents"/>.</summary>
    public static void AddParagraphs(string text, List<string> documents)
    {
        var paragraph = new StringBuilder();
        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            var line = CleanLine(raw);
            var (content, symbols) = Census(line);
            if (content == 0)
            {
                Flush();
                continue;
            }
            if (content * 2 < symbols) continue; // mostly symbols: ASCII art
            if (paragraph.Length > 0) paragraph.Append('\n');
            paragraph.Append(line);
        }
        Flush();

        void Flush()
        {
            if (paragraph.Length > 0) documents.Add(paragraph.ToString());
            paragraph.Clear();
        }
    }

    // The file's bytes (decompressed for .gz), refusing to hold more than `budget` of them.
    private static byte[] ReadBytes(string file, long budget)
    {
        try
        {
            using var input = File.OpenRead(file);
            using var stream = file.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(input, CompressionMode.Decompress) : (Stream)input;
            using var buffer = new MemoryStream();
            var chunk = new byte[1 << 16];
            int read;
            while ((read = stream.Read(chunk)) > 0)
            {
                if (buffer.Length + read > budget)
                    throw new DatasetException($"corpus {file}: the corpus files hold more than {GeneralCorpus.MaxBytes >> 20} MiB of text in all");
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new DatasetException($"corpus {file}: cannot read: {e.Message}", e);
        }
    }

    private static string DecodeUtf8(string file, byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException e)
        {
            throw new DatasetException($"corpus {file}: not UTF-8 text (invalid byte at offset {e.Index.ToString(CultureInfo.InvariantCulture)})", e);
        }
    }

    // Applies backspaces (nroff overstrike: "_\bI" is an underlined I), drops other control characters but tabs, trims.
    private static string CleanLine(ReadOnlySpan<char> raw)
    {
        var line = new StringBuilder(raw.Length);
        foreach (var c in raw)
        {
            if (c == '\b')
            {
                if (line.Length > 0) line.Length--;
            }
            else if (c == '\t' || !char.IsControl(c))
            {
                line.Append(c);
            }
        }
        return line.ToString().Trim();
    }

    // Letters and digits; other visible characters.
    private static (int Content, int Symbols) Census(string line)
    {
        int content = 0, symbols = 0;
        foreach (var rune in line.EnumerateRunes())
        {
            if (Rune.IsLetterOrDigit(rune)) content++;
            else if (!Rune.IsWhiteSpace(rune)) symbols++;
        }
        return (content, symbols);
    }
}
