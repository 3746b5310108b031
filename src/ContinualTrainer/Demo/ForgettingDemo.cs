using System.Diagnostics;
using System.Globalization;
using ContinualTrainer.Configuration;
using ContinualTrainer.Dataset;
using ContinualTrainer.Dataset.General;
using ContinualTrainer.Dataset.Rendering;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Training;
using ContinualTrainer.Guard;

namespace ContinualTrainer.Demo;

/// <summary>
/// The forgetting demonstration: a narrow synthetic task (<see cref="SyntheticTasks"/>), rendered and cut into
/// decision examples the way the daemon does for the model's tokenizer, learned twice from the same base weights —
/// once naively (<see cref="DemoRecipe.Naive"/>), once with the daemon's defaults (<see cref="DemoRecipe.Defaults"/>) —
/// each evaluated before and after exactly as the guard evaluates a run (<see cref="ModelEvaluator"/>) and judged by
/// the guard's default policy, with learning curves along the way.
/// </summary>
public static class ForgettingDemo
{
    /// <exception cref="DatasetException">The model's tokenizer or the corpus is unusable, or the examples do not fit the model.</exception>
    public static ForgettingDemoResult Run(ForgettingDemoOptions options, Action<string>? progress, CancellationToken cancellationToken)
    {
        options.Validate();
        var clock = Stopwatch.StartNew();
        var (training, dataset, guard) = (new TrainingRunOptions(), new DatasetOptions(), new GuardOptions());
        var profile = TokenizerProfile.Load(options.ModelDirectory, dataset);
        var corpus = GeneralCorpus.Load(options.CorpusPath, dataset.GeneralHoldoutFraction);
        var (data, summary) = Prepare(options, profile, corpus, dataset, guard, training);
        DemoRecipe[] recipes = [DemoRecipe.Naive(options.NaiveLearningRate, options.NaiveEpochs), DemoRecipe.Defaults(training, dataset, options.Seed)];
        progress?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"task: {summary.Conversations} conversations ({summary.ChatFormat}), {summary.TrainExamples} training and {summary.ValidationExamples} validation examples, decisions of {summary.MinDecisionTokens}-{summary.MaxDecisionTokens} tokens"));

        EvaluationReport before;
        using (var model = TransformerModel.Load(options.ModelDirectory))
        {
            CheckPositions(model.Config, data, recipes, options.ModelDirectory);
            progress?.Invoke("evaluating the base model as the guard does");
            before = ModelEvaluator.Evaluate(model, profile.Tokenizer, data.Guard, cancellationToken);
        }

        var policy = new GuardPolicy(guard);
        var runs = new List<DemoRunResult>();
        foreach (var recipe in recipes)
        {
            progress?.Invoke($"{recipe.Name}: {recipe.Describe()}");
            using var model = TransformerModel.Load(options.ModelDirectory);
            var trace = DemoRun.Train(model, recipe, data, options.CurvePoints, options.Seed, progress, cancellationToken);
            progress?.Invoke($"{recipe.Name}: evaluating the trained model as the guard does");
            var after = ModelEvaluator.Evaluate(model, profile.Tokenizer, data.Guard, cancellationToken);
            runs.Add(new DemoRunResult(recipe, recipe.Describe(), before, after, policy.Decide(before, after), trace));
        }
        return new ForgettingDemoResult(profile.ModelDirectory, corpus.Path, options.Seed, summary, guard.MaxPerplexityIncrease, runs, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// The task's examples split by conversation (the daemon's validation share of the conversations, in seeded
    /// order), the guard's evaluation data as the runner builds it, and the curves' copy of it without the probes.
    /// </summary>
    private static (DemoData Data, DemoDatasetSummary Summary) Prepare(ForgettingDemoOptions options, TokenizerProfile profile, GeneralCorpus corpus,
        DatasetOptions dataset, GuardOptions guard, TrainingRunOptions training)
    {
        var conversations = SyntheticTasks.Generate(options.Seed, options.Conversations);
        var order = Enumerable.Range(0, conversations.Count).ToArray();
        new Random(options.Seed).Shuffle(order);
        var validationCount = Math.Max(1, (int)Math.Round(dataset.ValidationFraction * conversations.Count, MidpointRounding.AwayFromZero));
        var held = order.Take(validationCount).ToHashSet();
        var (train, validation) = (new List<DerivedExample>(), new List<DerivedExample>());
        for (var i = 0; i < conversations.Count; i++)
            (held.Contains(i) ? validation : train).AddRange(profile.Extractor.Extract(conversations[i].Messages).Examples);
        if (train.Count == 0 || validation.Count == 0)
            throw new DatasetException($"model {profile.ModelDirectory}: the synthetic task left no training or no validation example (every decision was shorter than {dataset.MinDecisionTokens} tokens)");

        var heldOutText = corpus.HeldOutText();
        var heldOut = profile.Tokenizer.Encode(heldOutText);
        if (heldOut.Length > guard.MaxHoldoutTokens) heldOut = heldOut[..guard.MaxHoldoutTokens];
        var probes = ProbeSet.FromText(heldOutText, guard.ProbesPerCategory, training.Seed);
        var validationExamples = validation.Select(ToExample).ToList();
        var data = new DemoData(profile.Tokenizer, train.Select(ToExample).ToList(), validationExamples, corpus.TrainingTokens(profile.Tokenizer),
            new EvaluationData(heldOut, guard.PerplexityWindow, validationExamples, [], probes),
            new EvaluationData(heldOut, guard.PerplexityWindow, validationExamples, [], []));
        var all = train.Concat(validation).ToList();
        var summary = new DemoDatasetSummary(profile.Renderer.Format.ToName(), conversations.Count, conversations.Count - held.Count, held.Count,
            train.Count, validation.Count, train.Sum(e => (long)e.DecisionLength), validation.Sum(e => (long)e.DecisionLength),
            all.Min(e => e.DecisionLength), all.Max(e => e.DecisionLength), heldOut.Length, data.ReplayStream.LongLength, probes.Count);
        return (data, summary);
    }

    private static void CheckPositions(ModelConfig config, DemoData data, IEnumerable<DemoRecipe> recipes, string modelDirectory)
    {
        var longest = data.Train.Concat(data.Validation).Max(e => e.Tokens.Length);
        var window = recipes.Where(r => r.ReplayFraction > 0).Select(r => r.ReplayWindowTokens).DefaultIfEmpty(0).Max();
        var needed = Math.Max(longest, window);
        if (needed > config.MaxPositionEmbeddings)
            throw new DatasetException($"model {modelDirectory}: the demonstration needs sequences of {needed} tokens (examples up to {longest}, replay windows of {window}), but max_position_embeddings is {config.MaxPositionEmbeddings}");
    }

    private static TrainingExample ToExample(DerivedExample example) =>
        TrainingExample.WithDecisions(example.Tokens, [(example.DecisionStart, example.DecisionLength)]);
}
