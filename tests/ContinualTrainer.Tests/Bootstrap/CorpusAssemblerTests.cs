using System.IO.Compression;
using System.Text;
using ContinualTrainer.Bootstrap;
using ContinualTrainer.Dataset;
using ContinualTrainer.Dataset.General;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Bootstrap;

public sealed class CorpusAssemblerTests
{
    private static List<string> Paragraphs(string text)
    {
        var documents = new List<string>();
        CorpusAssembler.AddParagraphs(text, documents);
        return documents;
    }

    [Fact]
    public void Fortune_separators_and_blank_line_runs_end_documents()
    {
        var documents = Paragraphs("First fortune,\n  on two lines.\n%\nSecond one.\n\n\n\nIts second paragraph.\n%\n");

        Assert.Equal(["First fortune,\non two lines.", "Second one.", "Its second paragraph."], documents);
    }

    [Fact]
    public void Rules_and_box_drawing_end_paragraphs_and_ascii_art_is_dropped()
    {
        var text = "+---------+\n|ls -l    |list files|\n|---------+----------|\n│ ┌─┐ │\n  /\\_/\\  (o.o)  >^<  \\_|_/ ==\nA sentence after the art.";

        Assert.Equal(["|ls -l    |list files|", "A sentence after the art."], Paragraphs(text));
    }

    [Fact]
    public void Overstrike_backspaces_are_applied_and_control_characters_dropped()
    {
        Assert.Equal(["An interpretation I satisfies", "Calm down, it's *only* ones.\tTab kept, bell gone"],
            Paragraphs("An interpretation _\bI satisfies\n\nCalm down, it's *____\b\b\b\bonly* ones.\tTab kept, bell \u0007gone"));
    }

    [Fact]
    public void Written_corpus_reads_back_as_the_same_documents()
    {
        using var dir = new TempDir();
        var path = dir.File("corpus/general.txt");
        string[] documents = ["One paragraph\nwith two lines.", "Émoji 🎉 and ünïcode.", "Third."];

        CorpusAssembler.Write(path, documents);

        var corpus = GeneralCorpus.Load(path, 1.0 / 3);
        Assert.Equal(documents, corpus.TrainingDocuments.Concat(corpus.HeldOutDocuments).OrderBy(d => d.Line).Select(d => d.Text));
        Assert.Equal(["general.txt"], Directory.GetFiles(dir.File("corpus")).Select(Path.GetFileName));
    }

    [Fact]
    public void Reads_gzip_and_plain_files_in_order()
    {
        using var dir = new TempDir();
        var gz = dir.File("a.txt.gz");
        using (var file = File.Create(gz))
        using (var zip = new GZipStream(file, CompressionLevel.Fastest))
            zip.Write(Encoding.UTF8.GetBytes("Compressed text.\n\nSecond."));
        var plain = dir.Write("b", "Plain\ntext.");

        Assert.Equal(["Compressed text.", "Second.", "Plain\ntext."], CorpusAssembler.ReadDocuments([gz, plain], CancellationToken.None));
    }

    [Fact]
    public void Rejects_a_file_that_is_not_utf8_naming_it()
    {
        using var dir = new TempDir();
        var path = dir.File("latin1.txt");
        File.WriteAllBytes(path, [(byte)'c', (byte)'a', (byte)'f', 0xE9, (byte)'\n']);

        var error = Assert.Throws<DatasetException>(() => CorpusAssembler.ReadDocuments([path], CancellationToken.None));

        Assert.Equal($"corpus {path}: not UTF-8 text (invalid byte at offset 3)", error.Message);
    }

    [Fact]
    public void Default_sources_are_the_reference_then_the_plain_fortune_files()
    {
        using var dir = new TempDir();
        var reference = dir.Write("ref.txt.gz", "");
        var fortunes = dir.File("fortunes");
        foreach (var name in new[] { "zippy", "art", "art.dat", ".hidden" }) dir.Write($"fortunes/{name}", "x");
        File.CreateSymbolicLink(Path.Combine(fortunes, "art.u8"), "art");
        File.CreateSymbolicLink(Path.Combine(fortunes, "linked"), "zippy");
        Directory.CreateDirectory(Path.Combine(fortunes, "folder"));

        var files = new DebianCorpus(reference, fortunes).ExistingFiles();

        Assert.Equal([reference, Path.Combine(fortunes, "art"), Path.Combine(fortunes, "zippy")], files);
        Assert.Empty(new DebianCorpus(dir.File("none.gz"), dir.File("none")).ExistingFiles());
    }
}
