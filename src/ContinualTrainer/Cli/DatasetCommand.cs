using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ContinualTrainer.Configuration;
using ContinualTrainer.Dataset;
using ContinualTrainer.Dataset.General;
using ContinualTrainer.Dataset.Rendering;
using ContinualTrainer.Dataset.Snapshots;
using ContinualTrainer.State;

namespace ContinualTrainer.Cli;

/// <summary>
/// <c>continual-trainer dataset stats|build|show</c>: the decision examples of a model's tokenizer (brought up to
/// date with the stored conversations first), training-set snapshots built from them, and what a snapshot holds.
/// </summary>
public static class DatasetCommand
{
    /// <summary>Decisions <c>dataset show</c> prints as samples.</summary>
    public const int SampleCount = 3;

    private const int SampleChars = 160;

    private static readonly Option<string?> Model = new("--model")
    {
        Description = "Hugging Face model folder whose tokenizer and chat format the examples are for (default: Model:Base)",
        HelpName = "DIR",
    };

    private static readonly Option<bool> Json = new("--json") { Description = "Print one JSON object instead of text" };

    private static readonly Option<long?> Seed = new("--seed")
    {
        Description = "Seed of every sampling choice; the same seed and data give the same snapshot (default: a random seed, printed)",
        HelpName = "N",
    };

    private static readonly Argument<long> SnapshotId = new("ID") { Description = "The snapshot number" };

    public static Command Create()
    {
        var command = new Command("dataset", "Decision examples and training-set snapshots: counts, building a snapshot, showing one");
        command.Subcommands.Add(CreateStats());
        command.Subcommands.Add(CreateBuild());
        command.Subcommands.Add(CreateShow());
        return command;
    }

    private static Command CreateStats()
    {
        var command = new Command("stats", "Derive examples for the model's tokenizer from new conversations, then print their counts and diversity");
        command.Options.Add(Model);
        command.Options.Add(Json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var (options, database, profile) = await OpenAsync(parseResult, cancellationToken);
            var stats = await Guard(async () =>
            {
                await new ExampleDeriver(database, options.Dataset).DeriveAsync(profile, cancellationToken);
                return await DatasetStatistics.ReadAsync(database, profile, cancellationToken);
            });
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(Json)) output.WriteLine(JsonSerializer.Serialize(stats, DatasetJson.Options));
            else WriteStats(output, profile, stats);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateBuild()
    {
        var command = new Command("build",
            "Derive examples from new conversations, then freeze the next training set as a numbered snapshot "
            + "(new examples after near-duplicate removal and caps, a validation split, rehearsal and general replay)");
        command.Options.Add(Model);
        command.Options.Add(Seed);
        command.Options.Add(Json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var (options, database, profile) = await OpenAsync(parseResult, cancellationToken);
            var seed = parseResult.GetValue(Seed) ?? RandomNumberGenerator.GetInt32(int.MaxValue);
            var snapshot = await Guard(async () =>
            {
                await new ExampleDeriver(database, options.Dataset).DeriveAsync(profile, cancellationToken);
                var corpus = options.Dataset.GeneralCorpus is { } path ? GeneralCorpus.Load(path, options.Dataset.GeneralHoldoutFraction) : null;
                var id = await new DatasetBuilder(database, profile, corpus).BuildAsync(seed, cancellationToken);
                return (await new SnapshotStore(database).ReadAsync(id, cancellationToken))!;
            });
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(Json)) output.WriteLine(JsonSerializer.Serialize(Describe(snapshot, null), DatasetJson.Options));
            else WriteSnapshot(output, snapshot, null);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateShow()
    {
        var command = new Command("show", "Print a snapshot: its seed, settings, counts and tokens, and a few sample decisions");
        command.Arguments.Add(SnapshotId);
        command.Options.Add(Json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var options = DaemonOptionsLoader.Load(parseResult.GetValue(GlobalOptions.Config), parseResult.GetValue(GlobalOptions.State));
            var id = parseResult.GetValue(SnapshotId);
            if (!File.Exists(options.Paths.Database)) throw new CliException($"there is no dataset snapshot {id} (no state database in {options.Paths.State})");
            var database = new StateDatabase(options.Paths.Database);
            await database.MigrateAsync(cancellationToken);
            var snapshot = await Guard(() => new SnapshotStore(database).ReadAsync(id, cancellationToken))
                ?? throw new CliException($"there is no dataset snapshot {id}");
            var sampleIds = snapshot.Items.Where(i => i.Kind == SnapshotItemKind.Train).Take(SampleCount).Select(i => i.ExampleId!.Value).ToList();
            var examples = await new ExampleStore(database).ReadAsync(sampleIds, cancellationToken);
            var samples = sampleIds.Select(s => examples[s]).ToList();
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(Json)) output.WriteLine(JsonSerializer.Serialize(Describe(snapshot, samples), DatasetJson.Options));
            else WriteSnapshot(output, snapshot, samples);
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task<(DaemonOptions Options, StateDatabase Database, TokenizerProfile Profile)> OpenAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var options = DaemonOptionsLoader.Load(parseResult.GetValue(GlobalOptions.Config), parseResult.GetValue(GlobalOptions.State));
        var model = parseResult.GetValue(Model) ?? options.Model.Base
            ?? throw new CliException("no model: examples are made for a model's tokenizer; give --model DIR or set Model:Base");
        if (!Directory.Exists(model)) throw new CliException($"--model {model}: no such folder");
        var profile = await Guard(() => Task.FromResult(TokenizerProfile.Load(model, options.Dataset)));
        Directory.CreateDirectory(options.Paths.State);
        var database = new StateDatabase(options.Paths.Database);
        await database.MigrateAsync(cancellationToken);
        return (options, database, profile);
    }

    private static async Task<T> Guard<T>(Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (DatasetException e)
        {
            throw new CliException(e.Message);
        }
    }

    private static void WriteStats(TextWriter output, TokenizerProfile profile, DatasetStats stats)
    {
        static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
        output.WriteLine($"model:              {profile.ModelDirectory}");
        output.WriteLine($"tokenizer:          {stats.Fingerprint[..12]} ({stats.ChatFormat})");
        output.WriteLine($"examples:           {N(stats.Examples)} ({string.Join(", ", stats.ByCategory.Select(p => $"{p.Key} {N(p.Value)}"))})");
        output.WriteLine($"conversations:      {N(stats.Conversations)}");
        output.WriteLine($"decision tokens:    {N(stats.DecisionTokens)}");
        output.WriteLine($"context tokens:     {N(stats.ContextTokens)}");
        output.WriteLine($"duplicates removed: {N(stats.DuplicatesRemoved)}");
        output.WriteLine($"near-duplicates:    {N(stats.NearDuplicatesRemoved)}");
        output.WriteLine($"too short:          {N(stats.TooShort)}");
        output.WriteLine($"truncated:          {N(stats.Truncated)}");
        output.WriteLine($"lines skipped:      {N(stats.LinesSkipped)}");
        output.WriteLine($"files quarantined:  {N(stats.FilesQuarantined)}");
        output.WriteLine($"distinct-2:         {stats.Distinct2.ToString("0.000", CultureInfo.InvariantCulture)}");
        output.WriteLine($"category entropy:   {stats.CategoryEntropy.ToString("0.000", CultureInfo.InvariantCulture)} bits");
        output.WriteLine($"waiting:            {N(stats.ExamplesWaiting)} not yet in an accepted training run");
        output.WriteLine($"snapshots:          {N(stats.Snapshots)} ({N(stats.SnapshotsAccepted)} accepted)");
        foreach (var (source, count) in stats.BySource.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(5))
            output.WriteLine($"  {N(count),8}  {source}");
        if (stats.BySource.Count > 5) output.WriteLine($"  ... and {N(stats.BySource.Count - 5)} more source files");
    }

    private static void WriteSnapshot(TextWriter output, DatasetSnapshot snapshot, IReadOnlyList<StoredExample>? samples)
    {
        static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
        static string Percent(double share) => (share * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";
        var s = snapshot.Summary;
        output.WriteLine($"snapshot {snapshot.Id}: seed {snapshot.Seed}, tokenizer {snapshot.Fingerprint[..12]}, created {snapshot.CreatedUtc:O}");
        output.WriteLine($"accepted:     {(snapshot.AcceptedUtc is { } at ? at.ToString("O", CultureInfo.InvariantCulture) : "no")}");
        output.WriteLine($"new examples: {N(s.NewExamples)} ({N(s.NearDuplicatesRemoved)} near-duplicates, {N(s.CappedBySession)} over the session cap, {N(s.CappedBySourceFile)} over the source-file cap)");
        output.WriteLine($"train:        {N(s.Train)} examples, {N(s.TrainTokens)} decision tokens");
        output.WriteLine($"validation:   {N(s.Validation)} examples, {N(s.ValidationTokens)} decision tokens (never trained on)");
        output.WriteLine($"rehearsal:    {N(s.Rehearsal)} examples, {N(s.RehearsalTokens)} decision tokens ({Percent(s.RehearsalFraction)})");
        output.WriteLine($"replay:       {N(s.ReplayWindows)} windows of {snapshot.Settings.ReplayWindowTokens} tokens, {N(s.ReplayTokens)} tokens ({Percent(s.ReplayFraction)})"
            + (snapshot.GeneralCorpus is { } corpus ? $" from {corpus}" : ""));
        foreach (var note in s.Notes) output.WriteLine($"note:         {note}");
        if (samples is null) return;
        foreach (var sample in samples)
            output.WriteLine($"sample:       example {sample.Id} ({sample.Category}, turn {sample.TurnIndex}): {Excerpt(sample.DecisionText)}");
    }

    private static object Describe(DatasetSnapshot snapshot, IReadOnlyList<StoredExample>? samples) => new
    {
        snapshot = snapshot.Id,
        seed = snapshot.Seed,
        fingerprint = snapshot.Fingerprint,
        created_utc = snapshot.CreatedUtc,
        accepted_utc = snapshot.AcceptedUtc,
        general_corpus = snapshot.GeneralCorpus,
        general_corpus_sha256 = snapshot.GeneralCorpusSha256,
        settings = snapshot.Settings,
        summary = snapshot.Summary,
        samples = samples?.Select(e => new { example = e.Id, category = e.Category, turn = e.TurnIndex, decision_tokens = e.DecisionLength, decision = e.DecisionText }),
    };

    private static string Excerpt(string text)
    {
        var flat = text.ReplaceLineEndings("⏎");
        return flat.Length <= SampleChars ? flat : flat[..SampleChars] + "…";
    }
}
