using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ContinualTrainer.Configuration;
using ContinualTrainer.Demo;
using ContinualTrainer.Training;

namespace ContinualTrainer.Cli;

/// <summary>
/// <c>continual-trainer demo forgetting</c>: shows the problem the daemon solves and its fix with numbers and a
/// picture — a narrow synthetic task learned naively (the model forgets) and with the daemon's defaults (it learns and
/// the guard accepts the run) — written as <c>report.md</c>, <c>chart.svg</c> and <c>results.json</c>
/// (see <see cref="ForgettingDemo"/>). Progress goes to stderr, the summary to stdout.
/// </summary>
public static class DemoCommand
{
    private const string InitHint = "run 'continual-trainer init' or pass";

    private static readonly Option<string?> Model = new("--model")
    {
        Description = "Hugging Face model folder both runs start from (default: Model:Base, the model 'continual-trainer init' pre-trains)",
        HelpName = "DIR",
    };

    private static readonly Option<string?> Corpus = new("--corpus")
    {
        Description = "General corpus, a text/JSONL file or folder: held-out part for perplexity, the rest for replay (default: Dataset:GeneralCorpus)",
        HelpName = "FILE",
    };

    private static readonly Option<string> Out = new("--out")
    {
        Description = "Folder for report.md, chart.svg and results.json",
        HelpName = "DIR",
        DefaultValueFactory = _ => "forgetting-demo",
    };

    private static readonly Option<int> Seed = new("--seed")
    {
        Description = "Seed of the synthetic task, its split, the replay windows and the adapters",
        HelpName = "N",
        DefaultValueFactory = _ => 0,
    };

    private static readonly Option<bool> Json = new("--json") { Description = "End with the results as one JSON object on the last line" };

    public static Command Create()
    {
        var forgetting = new Command("forgetting",
            "Learn a narrow synthetic task twice from the same model — naive full fine-tuning, then the daemon's defaults — and report forgetting and learning");
        foreach (var option in new Option[] { Model, Corpus, Out, Seed, Json }) forgetting.Options.Add(option);
        forgetting.SetAction((parseResult, cancellationToken) => Task.FromResult(RunForgetting(parseResult, cancellationToken)));

        var command = new Command("demo", "Demonstrations of what the daemon is for, with numbers");
        command.Subcommands.Add(forgetting);
        return command;
    }

    private static int RunForgetting(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var (output, error) = (parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error);
        var seed = parseResult.GetValue(Seed);
        if (seed < 0) throw new CliException($"--seed must be at least 0 (got {seed})", ExitCodes.Usage);
        var outDirectory = Path.GetFullPath(parseResult.GetValue(Out)!);
        var (model, corpus) = (parseResult.GetValue(Model), parseResult.GetValue(Corpus));
        if (model is null || corpus is null)
        {
            var configured = DaemonOptionsLoader.Load(parseResult.GetValue(GlobalOptions.Config), parseResult.GetValue(GlobalOptions.State));
            model ??= configured.Model.Base ?? throw new CliException($"no model to start from: {InitHint} --model DIR");
            corpus ??= configured.Dataset.GeneralCorpus ?? throw new CliException($"no general corpus: {InitHint} --corpus FILE");
        }
        if (!Directory.Exists(model)) throw new CliException($"{Path.GetFullPath(model)}: model directory not found; {InitHint} --model DIR");
        if (!File.Exists(corpus) && !Directory.Exists(corpus)) throw new CliException($"{Path.GetFullPath(corpus)}: general corpus not found; {InitHint} --corpus FILE");

        ForgettingDemoResult result;
        try
        {
            result = ForgettingDemo.Run(new ForgettingDemoOptions { ModelDirectory = model, CorpusPath = corpus, Seed = seed }, error.WriteLine, cancellationToken);
        }
        catch (RunFailedException e)
        {
            throw new CliException(e.Message);
        }
        DemoReport.Write(result, outDirectory);
        foreach (var line in DemoReport.Summary(result)) output.WriteLine(line);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {Path.Combine(outDirectory, DemoReport.ReportFile)}, {DemoReport.ChartFile} and {DemoReport.ResultsFile} ({result.Seconds:F0} s)"));
        if (parseResult.GetValue(Json)) output.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions(DemoReport.JsonOptions) { WriteIndented = false }));
        return ExitCodes.Success;
    }
}
