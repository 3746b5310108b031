using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Tokenization;
using ContinualTrainer.Guard;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Guard;

public sealed class ProbeTests
{
    [Fact]
    public void Loads_a_probe_file_with_defaults_for_category_and_match()
    {
        using var dir = new TempDir();
        var path = dir.Write("probes.jsonl", """
            {"prompt": "The capital of France is", "answer": "Paris", "category": "facts"}

            {"prompt": "1 2 3", "answer": "4", "match": "exact"}
            """);
        var probes = ProbeSet.Load(path);
        Assert.Equal([new Probe("The capital of France is", "Paris", "facts"), new Probe("1 2 3", "4", "default", ProbeMatch.Exact)], probes);
    }

    [Theory]
    [InlineData("{\"prompt\": 1, \"answer\": \"x\"}", "line 1: \"prompt\" must be a string")]
    [InlineData("{\"prompt\": \"p\", \"answer\": \" \"}", "line 1: \"answer\" is empty")]
    [InlineData("{\"prompt\": \"p\", \"answer\": \"a\", \"match\": \"fuzzy\"}", "line 1: \"match\" must be \"exact\" or \"contains\", not \"fuzzy\"")]
    [InlineData("[1, 2]", "line 1: not a JSON object")]
    [InlineData("{\"prompt\": ", "line 1: ")]
    public void A_bad_line_is_an_error_naming_the_file_and_line(string line, string expected)
    {
        using var dir = new TempDir();
        var path = dir.Write("probes.jsonl", line);
        var error = Assert.Throws<GuardException>(() => ProbeSet.Load(path));
        Assert.StartsWith(path + " " + expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_missing_or_empty_file_is_refused()
    {
        using var dir = new TempDir();
        Assert.Contains("probe file not found", Assert.Throws<GuardException>(() => ProbeSet.Load(dir.File("none.jsonl"))).Message);
        Assert.Contains("no probes", Assert.Throws<GuardException>(() => ProbeSet.Load(dir.Write("empty.jsonl", "\n\n"))).Message);
    }

    [Fact]
    public void Default_probes_from_text_are_deterministic_plain_word_cloze_and_recall_questions()
    {
        const string text = "the quick brown fox jumps over the lazy dog again and again . "
            + "a small village stood near the river where many families lived in peace . "
            + "numbers like 1234 are skipped here because they are not words at all . "
            + "the old castle was built by a king who ruled the northern lands for years .";
        var first = ProbeSet.FromText(text, perCategory: 2, seed: 7);
        var second = ProbeSet.FromText(text, perCategory: 2, seed: 7);

        Assert.Equal(first, second);
        Assert.Equal(2, first.Count(p => p.Category == "cloze"));
        Assert.Equal(2, first.Count(p => p.Category == "recall"));
        Assert.All(first, p => Assert.DoesNotContain("1234", p.Prompt + p.Answer));
        foreach (var recall in first.Where(p => p.Category == "recall"))
        {
            // the answer follows the cut-short repetition in the first occurrence
            var halves = recall.Prompt.Split(" . ");
            Assert.StartsWith(halves[1] + " " + recall.Answer, halves[0]);
        }
        Assert.NotEqual(first, ProbeSet.FromText(text, perCategory: 2, seed: 8));
    }

    [Theory]
    [InlineData(ProbeMatch.Exact, " Paris is big", true)]
    [InlineData(ProbeMatch.Exact, " Parisian", false)]
    [InlineData(ProbeMatch.Exact, " in Paris", false)]
    [InlineData(ProbeMatch.Contains, " in Paris", true)]
    [InlineData(ProbeMatch.Contains, " in paris", false)]
    public void Matching_follows_the_probe_rule(ProbeMatch match, string continuation, bool correct)
    {
        Assert.Equal(correct, ProbeScorer.IsCorrect(new Probe("p", "Paris", "c", match), continuation));
    }

    [SharedFact]
    public void Scores_the_models_own_greedy_answers_as_correct_and_wrong_answers_as_wrong()
    {
        var dir = SharedFixtures.Path("fixtures", "models", "tiny-llama");
        using var model = TransformerModel.Load(dir);
        var tokenizer = BpeTokenizer.FromDirectory(dir);
        var prompts = new[] { "The war also marked the", "In the early 14th century", "The Mongols , who" };
        var probes = new List<Probe>();
        using (var decoder = new GreedyDecoder(model, 64))
        {
            foreach (var prompt in prompts)
            {
                var continuation = tokenizer.Decode(decoder.Generate(tokenizer.Encode(prompt), 8));
                var word = continuation.Trim().Split(' ')[0];
                probes.Add(new Probe(prompt, word, "own", ProbeMatch.Exact));
                probes.Add(new Probe(prompt, word + "zzq", "wrong", ProbeMatch.Exact));
            }
        }

        var accuracy = ProbeScorer.Score(model, tokenizer, probes, CancellationToken.None);

        Assert.Equal(1.0, accuracy["own"]);
        Assert.Equal(0.0, accuracy["wrong"]);
    }
}
