using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using ContinualTrainer.Configuration;
using ContinualTrainer.Dataset;
using ContinualTrainer.Dataset.General;
using ContinualTrainer.Demo;
using ContinualTrainer.Engine.Eval;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Training;
using ContinualTrainer.Guard;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Demo;

public sealed class ForgettingDemoTests
{
    private static ForgettingDemoOptions SmallDemo(string corpus) => new()
    {
        ModelDirectory = DemoFixtures.TinyModel,
        CorpusPath = corpus,
        Seed = 1,
        Conversations = 40,
        NaiveEpochs = 2,
        CurvePoints = 4,
    };

    [SharedFact]
    public void Report_states_the_numbers_of_results_json_and_every_file_is_in_place()
    {
        using var dir = new TempDir();
        var result = ForgettingDemo.Run(SmallDemo(DemoFixtures.SmallCorpus(dir)), null, CancellationToken.None);
        var outDir = dir.File("out");
        DemoReport.Write(result, outDir);

        Assert.Equal([DemoReport.ChartFile, DemoReport.ReportFile, DemoReport.ResultsFile], Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, DemoReport.ResultsFile)));
        var report = File.ReadAllText(Path.Combine(outDir, DemoReport.ReportFile));
        var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["naive", "defaults"], runs.Select(r => r.GetProperty("recipe").GetProperty("name").GetString()));

        string Row(string name, Func<JsonElement, string> cell) => $"| {name} | {string.Join(" | ", runs.Select(cell))} |";
        double Value(JsonElement run, string phase, string key) => run.GetProperty(phase).GetProperty(key).GetDouble();
        var f2 = (double v) => v.ToString("F2", CultureInfo.InvariantCulture);
        var f3 = (double v) => v.ToString("F3", CultureInfo.InvariantCulture);
        Assert.Contains(Row("general perplexity before", r => f2(Value(r, "before", "general_perplexity"))), report);
        Assert.Contains(Row("general perplexity after", r => f2(Value(r, "after", "general_perplexity"))), report);
        Assert.Contains(Row("forgetting ratio (after / before)", r => f3(Value(r, "after", "general_perplexity") / Value(r, "before", "general_perplexity"))), report);
        Assert.Contains(Row("task loss before", r => f3(Value(r, "before", "decision_loss"))), report);
        Assert.Contains(Row("task loss after", r => f3(Value(r, "after", "decision_loss"))), report);
        Assert.Contains(Row("task loss drop", r => (100 * (1 - Value(r, "after", "decision_loss") / Value(r, "before", "decision_loss"))).ToString("0.0", CultureInfo.InvariantCulture) + "%"), report);
        Assert.Contains(Row("guard verdict", r => r.GetProperty("verdict").GetProperty("accepted").GetBoolean() ? "**accepted**" : "**rejected**"), report);
        Assert.Contains($"]({DemoReport.ChartFile})", report);
        foreach (var run in runs)
        {
            foreach (var check in run.GetProperty("verdict").GetProperty("checks").EnumerateArray())
                Assert.Contains(check.GetProperty("explanation").GetString()!, report);
            var series = run.GetProperty("trace").GetProperty("series").EnumerateArray().ToList();
            Assert.Equal(0, series[0].GetProperty("step").GetInt32());
            Assert.Equal(run.GetProperty("trace").GetProperty("steps").GetInt32(), series[^1].GetProperty("step").GetInt32());
            Assert.True(series.Count >= 3, $"{series.Count} curve points");
            // The curves measure what the guard measures, without the probes: their ends are its "before" and "after".
            Assert.Equal(Value(run, "before", "general_perplexity"), series[0].GetProperty("general_perplexity").GetDouble(), 1e-9);
            Assert.Equal(Value(run, "after", "general_perplexity"), series[^1].GetProperty("general_perplexity").GetDouble(), 1e-9);
            Assert.Equal(Value(run, "after", "decision_loss"), series[^1].GetProperty("task_loss").GetDouble(), 1e-9);
        }

        var chart = XDocument.Load(Path.Combine(outDir, DemoReport.ChartFile));
        var names = chart.Descendants().Where(e => e.Name.LocalName == "polyline").Select(e => (string?)e.Attribute("data-series")).Distinct().ToList();
        Assert.Equal(result.Runs.Select(DemoReport.Label), names);
    }

    [Fact]
    public void The_defaults_run_is_the_daemons_default_training_and_replay()
    {
        var (training, dataset) = (new TrainingRunOptions(), new DatasetOptions());
        var recipe = DemoRecipe.Defaults(training, dataset, seed: 3);

        Assert.Equal(training.Mode == "frozen" ? TrainingMode.Frozen : TrainingMode.Full, recipe.Mode);
        Assert.Equal(training.IsLora, recipe.Lora is not null);
        Assert.Equal((training.LoraRank, training.LoraAlpha, training.LoraTargets), (recipe.Lora!.Rank, recipe.Lora.Alpha, recipe.Lora.Targets));
        Assert.Equal((training.Optimizer, training.LearningRate, training.Epochs), (recipe.Optimizer, recipe.LearningRate, recipe.Epochs));
        Assert.Equal((training.WarmupFraction, training.MinLearningRateFraction, training.WeightDecay), (recipe.WarmupFraction, recipe.MinLearningRateFraction, recipe.WeightDecay));
        Assert.Equal((training.BatchTokens, training.GradientAccumulation, (double?)training.MaxGradNorm), (recipe.BatchTokens, recipe.GradientAccumulation, recipe.MaxGradNorm));
        Assert.Equal((dataset.ReplayFraction, dataset.ReplayWindowTokens), (recipe.ReplayFraction, recipe.ReplayWindowTokens));
    }

    [Fact]
    public void Replay_windows_make_the_configured_share_of_the_trained_tokens()
    {
        var stream = Enumerable.Range(0, 100 * 64).ToArray();
        var windows = DemoRun.ReplayWindows(stream, taskTokens: 3 * 63 * 10, fraction: 0.25, window: 64, seed: 0);

        Assert.Equal(10, windows.Count); // 0.25 / 0.75 of 1890 task tokens, 63 trained tokens per window
        Assert.All(windows, w => Assert.Equal(64, w.Tokens.Length));
        Assert.All(windows, w => Assert.Equal(0, w.Tokens[0] % 64)); // whole slots of the stream
        Assert.Equal(10, windows.Select(w => w.Tokens[0]).Distinct().Count());
        Assert.Empty(DemoRun.ReplayWindows(stream, 1000, 0, 64, 0));
        Assert.Equal(100, DemoRun.ReplayWindows(stream, 1_000_000, 0.25, 64, 0).Count); // no more than the stream holds
    }

    [SharedFact]
    public void A_naive_run_with_a_huge_learning_rate_raises_general_perplexity()
    {
        using var dir = new TempDir();
        var corpus = GeneralCorpus.Load(DemoFixtures.SmallCorpus(dir), 0.1);
        var profile = TokenizerProfile.Load(DemoFixtures.TinyModel, new DatasetOptions());
        var examples = SyntheticTasks.Generate(2, 30)
            .SelectMany(c => profile.Extractor.Extract(c.Messages).Examples)
            .Select(e => TrainingExample.WithDecisions(e.Tokens, [(e.DecisionStart, e.DecisionLength)]))
            .ToList();
        var heldOut = corpus.HeldOutTokens(profile.Tokenizer)[..1024];
        var curves = new EvaluationData(heldOut[..256], 128, examples[..4], [], []);
        var data = new DemoData(profile.Tokenizer, examples[4..], examples[..4], corpus.TrainingTokens(profile.Tokenizer), curves, curves);

        using var reference = TransformerModel.Load(DemoFixtures.TinyModel);
        var before = Perplexity.Evaluate(reference, heldOut, 128, 4).Perplexity;
        using var model = TransformerModel.Load(DemoFixtures.TinyModel);
        DemoRun.Train(model, DemoRecipe.Naive(learningRate: 2e-2, epochs: 2), data, points: 1, seed: 0, progress: null, CancellationToken.None);
        var after = Perplexity.Evaluate(model, heldOut, 128, 4).Perplexity;

        Assert.True(after > 1.2 * before, $"general perplexity {before:F2} -> {after:F2}");
    }

    [SharedFact]
    public void A_lora_run_leaves_the_trained_adapters_merged_into_the_model()
    {
        using var dir = new TempDir();
        var corpus = GeneralCorpus.Load(DemoFixtures.SmallCorpus(dir), 0.1);
        var profile = TokenizerProfile.Load(DemoFixtures.TinyModel, new DatasetOptions());
        var examples = SyntheticTasks.Generate(4, 12)
            .SelectMany(c => profile.Extractor.Extract(c.Messages).Examples)
            .Select(e => TrainingExample.WithDecisions(e.Tokens, [(e.DecisionStart, e.DecisionLength)]))
            .ToList();
        var curves = new EvaluationData(corpus.HeldOutTokens(profile.Tokenizer)[..256], 128, examples[..3], [], []);
        var data = new DemoData(profile.Tokenizer, examples[3..], examples[..3], corpus.TrainingTokens(profile.Tokenizer), curves, curves);
        using var model = TransformerModel.Load(DemoFixtures.TinyModel);
        using var reference = TransformerModel.Load(DemoFixtures.TinyModel);

        var trace = DemoRun.Train(model, DemoRecipe.Defaults(new TrainingRunOptions(), new DatasetOptions(), 0), data, points: 2, seed: 0, null, CancellationToken.None);

        // The curve's last point was measured on the merged copy; the model now holds the same weights.
        var last = trace.Series[^1];
        var now = ModelEvaluator.Evaluate(model, profile.Tokenizer, curves, CancellationToken.None);
        Assert.Equal(last.GeneralPerplexity, now.GeneralPerplexity, 1e-9);
        Assert.Equal(last.TaskLoss, now.DecisionLoss, 1e-9);
        var baseline = ModelEvaluator.Evaluate(reference, profile.Tokenizer, curves, CancellationToken.None);
        Assert.NotEqual(baseline.DecisionLoss, now.DecisionLoss);
        Assert.True(trace.ReplayWindows > 0);
    }
}
