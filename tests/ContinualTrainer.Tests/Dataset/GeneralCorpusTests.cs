using ContinualTrainer.Dataset;
using ContinualTrainer.Dataset.General;
using ContinualTrainer.Engine.Tokenization;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Dataset;

public sealed class GeneralCorpusTests
{
    private static string WikiText => SharedFixtures.Path("corpora", "wikitext-2");

    [SharedFact]
    public void Wikitext_splits_into_disjoint_training_and_held_out_paragraphs_by_position()
    {
        var corpus = GeneralCorpus.Load(WikiText, 0.1);
        var total = corpus.TrainingDocuments.Count + corpus.HeldOutDocuments.Count;
        Assert.InRange(corpus.HeldOutDocuments.Count, (int)Math.Floor(total * 0.1), (int)Math.Ceiling(total * 0.1));
        Assert.Empty(corpus.TrainingDocuments.Select(d => (d.File, d.Line)).Intersect(corpus.HeldOutDocuments.Select(d => (d.File, d.Line))));
        Assert.DoesNotContain(corpus.TrainingDocuments.Concat(corpus.HeldOutDocuments), d => d.File.EndsWith("README", StringComparison.Ordinal));
        // Every 10th document (0-based 9, 19, ...) is held out.
        var all = corpus.TrainingDocuments.Concat(corpus.HeldOutDocuments).OrderBy(d => d.File, StringComparer.Ordinal).ThenBy(d => d.Line).ToList();
        Assert.Equal(all[9], corpus.HeldOutDocuments[0]);
        Assert.Equal(all[19], corpus.HeldOutDocuments[1]);

        var again = GeneralCorpus.Load(WikiText, 0.1);
        Assert.Equal(corpus.ContentHash, again.ContentHash);
        Assert.Equal(corpus.HeldOutText(), again.HeldOutText());
        Assert.Contains(corpus.HeldOutDocuments[0].Text, corpus.HeldOutText());
    }

    [SharedFact]
    public void Token_streams_are_the_documents_encoded_in_order()
    {
        using var dir = new TempDir();
        var file = dir.Write("c.txt", "first paragraph\nstill first\n\n\nsecond one\n \nthird\n");
        var corpus = GeneralCorpus.Load(file, 0.5);
        Assert.Equal(["first paragraph\nstill first", "third"], corpus.TrainingDocuments.Select(d => d.Text));
        Assert.Equal(["second one"], corpus.HeldOutDocuments.Select(d => d.Text));
        Assert.Equal([1L, 7L], corpus.TrainingDocuments.Select(d => d.Line));
        var tokenizer = BpeTokenizer.FromDirectory(TestModels.TinyLlama);
        Assert.Equal(tokenizer.Encode("first paragraph\nstill first").Concat(tokenizer.Encode("\n\n")).Concat(tokenizer.Encode("third")).Concat(tokenizer.Encode("\n\n")),
            corpus.TrainingTokens(tokenizer));
        Assert.Same(corpus.TrainingTokens(tokenizer), corpus.TrainingTokens(tokenizer));
        Assert.Equal(tokenizer.Encode("second one\n\n"), corpus.HeldOutTokens(tokenizer));
    }

    [Fact]
    public void Jsonl_lines_are_documents_and_a_bad_line_is_named()
    {
        using var dir = new TempDir();
        dir.Write("a/one.jsonl", "{\"text\": \"alpha\"}\n\n{\"text\": \"beta\", \"id\": 2}\n{\"text\": \"gamma\"}\n");
        dir.Write("a/notes.bin", "ignored");
        var corpus = GeneralCorpus.Load(dir.Path, 0.5);
        Assert.Equal(["alpha", "gamma"], corpus.TrainingDocuments.Select(d => d.Text));
        Assert.Equal(["beta"], corpus.HeldOutDocuments.Select(d => d.Text));

        var bad = dir.Write("b.jsonl", "{\"text\": \"fine\"}\n{\"txt\": \"oops\"}\n");
        var error = Assert.Throws<DatasetException>(() => GeneralCorpus.Load(bad, 0.1));
        Assert.Equal($"general corpus {bad} line 2: expected an object with a string \"text\"", error.Message);
        var broken = dir.Write("c.jsonl", "{\"text\": \n");
        Assert.Equal($"general corpus {broken} line 1: not valid JSON", Assert.Throws<DatasetException>(() => GeneralCorpus.Load(broken, 0.1)).Message);
    }

    [Fact]
    public void The_content_hash_changes_when_a_file_changes()
    {
        using var dir = new TempDir();
        dir.Write("x.txt", "one\n\ntwo\n\nthree");
        var before = GeneralCorpus.Load(dir.Path, 0.5).ContentHash;
        dir.Write("x.txt", "one\n\ntwo\n\nthree!");
        Assert.NotEqual(before, GeneralCorpus.Load(dir.Path, 0.5).ContentHash);
    }

    [Fact]
    public void Too_few_documents_or_none_are_refused()
    {
        using var dir = new TempDir();
        var one = dir.Write("one.txt", "only paragraph");
        Assert.Contains("too few", Assert.Throws<DatasetException>(() => GeneralCorpus.Load(one, 0.1)).Message);
        var empty = dir.Write("empty.md", "\n \n");
        Assert.Contains("no documents", Assert.Throws<DatasetException>(() => GeneralCorpus.Load(empty, 0.1)).Message);
        Assert.Contains("no such file or folder", Assert.Throws<DatasetException>(() => GeneralCorpus.Load(dir.File("missing"), 0.1)).Message);
    }
}
