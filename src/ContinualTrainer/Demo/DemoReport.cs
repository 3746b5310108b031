using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using ContinualTrainer.Guard;

namespace ContinualTrainer.Demo;

/// <summary>
/// Writes what the forgetting demonstration measured: <c>report.md</c> (what was run, the before/after table, the
/// guard's checks, the chart and what it shows), <c>chart.svg</c> (general perplexity and task loss against the
/// step, both runs) and <c>results.json</c> (every number and both series). Each file is written to a temporary
/// name and renamed into place. Numbers in the report use the formats of <see cref="Perplexity"/>,
/// <see cref="Loss"/>, <see cref="Ratio"/> and <see cref="Percent"/>.
/// </summary>
public static class DemoReport
{
    public const string ReportFile = "report.md";
    public const string ChartFile = "chart.svg";
    public const string ResultsFile = "results.json";

    private static readonly CultureInfo Culture = CultureInfo.InvariantCulture;

    /// <summary>Line colours by run: naive red, defaults blue (distinct for colour-blind readers too).</summary>
    public static readonly IReadOnlyDictionary<string, string> Colors = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["naive"] = "#d62728",
        ["defaults"] = "#1f63b4",
    };

    /// <summary>The relative drop of the task loss from which the report says a run learned the task.</summary>
    public const double LearnedDrop = 0.30;

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Writes the three files into <paramref name="directory"/> (created when missing).</summary>
    public static void Write(ForgettingDemoResult result, string directory)
    {
        Directory.CreateDirectory(directory);
        WriteAtomically(Path.Combine(directory, ResultsFile), Json(result));
        WriteAtomically(Path.Combine(directory, ChartFile), Chart(result));
        WriteAtomically(Path.Combine(directory, ReportFile), Markdown(result));
    }

    public static string Json(ForgettingDemoResult result) => JsonSerializer.Serialize(result, JsonOptions);

    /// <summary>Two panels: general perplexity (with the guard's limit) and task loss, against the optimizer step.</summary>
    public static string Chart(ForgettingDemoResult result)
    {
        ChartSeries Series(DemoRunResult run, Func<DemoPoint, double> value) =>
            new(Label(run), Colors.GetValueOrDefault(run.Recipe.Name, "#2ca02c"), [.. run.Trace.Series.Select(p => ((double)p.Step, value(p)))]);
        var baseline = result.Runs[0].Trace.Series[0].GeneralPerplexity;
        var limit = new ChartGuide($"guard limit (+{Percent(result.MaxPerplexityIncrease)})", baseline * (1 + result.MaxPerplexityIncrease));
        return SvgChart.Render("Learning a narrow task: forgetting vs. the daemon's defaults",
        [
            new ChartPanel("general-perplexity", "General perplexity (held-out text, lower is better)", "optimizer step", "perplexity",
                [.. result.Runs.Select(r => Series(r, p => p.GeneralPerplexity))], [limit]),
            new ChartPanel("task-loss", "Task loss (held-out task validation, lower is better)", "optimizer step", "mean decision-token loss (nats)",
                [.. result.Runs.Select(r => Series(r, p => p.TaskLoss))], []),
        ]);
    }

    public static string Markdown(ForgettingDemoResult result)
    {
        var d = result.Dataset;
        var runs = result.Runs;
        var text = new StringBuilder();
        text.AppendLine("# Forgetting demonstration").AppendLine();
        text.AppendLine(Invariant($"Model `{result.Model}`, general corpus `{result.Corpus}`, seed {result.Seed}; {result.Seconds:F0} s in all.")).AppendLine();
        text.AppendLine("## What was run").AppendLine();
        text.Append(Culture, $"A narrow synthetic task: {d.Conversations} conversations with \"Desk\", an operations agent that answers ticket, stock and weather requests ")
            .Append(Culture, $"with one record in a rigid house format, rendered in the model's chat format ({d.ChatFormat}) and cut into decision examples as the daemon does: ")
            .Append(Culture, $"{d.TrainExamples} training examples from {d.TrainConversations} conversations ({d.TrainDecisionTokens} decision tokens) and ")
            .Append(Culture, $"{d.ValidationExamples} validation examples from {d.ValidationConversations} other conversations; decisions of {d.MinDecisionTokens} to {d.MaxDecisionTokens} tokens.")
            .AppendLine().AppendLine();
        text.AppendLine("Both runs start from the same base weights:").AppendLine();
        foreach (var run in runs)
        {
            var replay = run.Trace.ReplayWindows > 0 ? Invariant($", {run.Trace.ReplayWindows} general replay windows per epoch") : "";
            text.AppendLine(Invariant($"- **{Label(run)}**: {run.Description}; {run.Trace.Steps} optimizer steps over {run.Trace.TaskExamples} task examples per epoch{replay} ({run.Trace.Seconds:F0} s)."));
        }
        text.AppendLine();
        text.Append(Culture, $"Before and after, each run is evaluated as the guard evaluates a training run — perplexity on {d.HeldOutTokens} held-out tokens of the general corpus, ")
            .Append(Culture, $"the mean decision-token loss on the task's validation examples, {d.Probes} probes — and judged by the guard's default policy ")
            .Append(Culture, $"(general perplexity may rise by at most {Percent(result.MaxPerplexityIncrease)}). The curves measure the same perplexity and task loss every few steps.")
            .AppendLine().AppendLine();

        text.AppendLine("## Results").AppendLine();
        text.AppendLine("| | " + string.Join(" | ", runs.Select(Label)) + " |");
        text.AppendLine("|---|" + string.Concat(runs.Select(_ => "---:|")));
        Row("general perplexity before", r => Perplexity(r.Before.GeneralPerplexity));
        Row("general perplexity after", r => Perplexity(r.After.GeneralPerplexity));
        Row("forgetting ratio (after / before)", r => Ratio(r.ForgettingRatio));
        Row("task loss before", r => Loss(r.Before.DecisionLoss));
        Row("task loss after", r => Loss(r.After.DecisionLoss));
        Row("task loss drop", r => Percent(r.TaskLossDrop));
        Row("guard verdict", r => r.Verdict.Accepted ? "**accepted**" : "**rejected**");
        text.AppendLine();
        foreach (var run in runs)
        {
            text.AppendLine(Invariant($"Guard checks, {Label(run)}:")).AppendLine();
            foreach (var check in run.Verdict.Checks) text.AppendLine($"- {(check.Passed ? "pass" : "FAIL")} `{check.Name}`: {check.Explanation}");
            text.AppendLine();
        }
        text.AppendLine($"![General perplexity and task loss against the optimizer step, both runs]({ChartFile})").AppendLine();
        text.AppendLine("## What it shows").AppendLine();
        text.AppendLine(Conclusion(result));
        return text.ToString();

        void Row(string name, Func<DemoRunResult, string> cell) => text.AppendLine($"| {name} | {string.Join(" | ", runs.Select(cell))} |");
    }

    /// <summary>One line per run for the terminal.</summary>
    public static IEnumerable<string> Summary(ForgettingDemoResult result) => result.Runs.Select(run => Invariant(
        $"{run.Recipe.Name + ":",-9} general perplexity {Perplexity(run.Before.GeneralPerplexity)} -> {Perplexity(run.After.GeneralPerplexity)} (ratio {Ratio(run.ForgettingRatio)}), ")
        + Invariant($"task loss {Loss(run.Before.DecisionLoss)} -> {Loss(run.After.DecisionLoss)} (drop {Percent(run.TaskLossDrop)}), guard: {(run.Verdict.Accepted ? "accepted" : "rejected")}"));

    public static string Perplexity(double value) => value.ToString("F2", CultureInfo.InvariantCulture);

    public static string Loss(double value) => value.ToString("F3", CultureInfo.InvariantCulture);

    public static string Ratio(double value) => value.ToString("F3", CultureInfo.InvariantCulture);

    /// <summary>A fraction as a percentage with one decimal (0.256 → "25.6%").</summary>
    public static string Percent(double fraction) => (100 * fraction).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>The run's name in legends and tables.</summary>
    public static string Label(DemoRunResult run) => run.Recipe.Title;

    /// <summary>What the numbers show, said from the numbers (so it never claims what did not happen).</summary>
    private static string Conclusion(ForgettingDemoResult result)
    {
        var limit = result.MaxPerplexityIncrease;
        var sentences = result.Runs.Select(run =>
        {
            var learned = run.TaskLossDrop >= LearnedDrop ? $"learned the task (task loss down {Percent(run.TaskLossDrop)})"
                : run.TaskLossDrop > 0 ? $"learned little of the task (task loss down only {Percent(run.TaskLossDrop)})"
                : $"did not learn the task (task loss up {Percent(-run.TaskLossDrop)})";
            var change = run.ForgettingRatio - 1;
            var peak = run.Trace.Series.MaxBy(p => p.GeneralPerplexity)!;
            var forgetting = change > limit
                ? Invariant($"general perplexity rose {Percent(change)}, from {Perplexity(run.Before.GeneralPerplexity)} to {Perplexity(run.After.GeneralPerplexity)} (on the curve it peaked at {Perplexity(peak.GeneralPerplexity)}, step {peak.Step}): it forgot general language")
                : Invariant($"general perplexity moved {(change >= 0 ? "+" : "")}{Percent(change)} ({Perplexity(run.Before.GeneralPerplexity)} to {Perplexity(run.After.GeneralPerplexity)}), within the guard's +{Percent(limit)}");
            var verdict = run.Verdict.Accepted
                ? "the guard accepts it"
                : $"the guard rejects it ({run.Verdict.Summary})";
            return $"The {run.Recipe.Title} run {learned}{(change > limit ? ", but" : ", and")} {forgetting}; {verdict}.";
        });
        var naive = result.Runs.FirstOrDefault(r => r.Recipe.Name == "naive");
        var defaults = result.Runs.FirstOrDefault(r => r.Recipe.Name == "defaults");
        var contrast = naive is not null && defaults is not null && naive.ForgettingRatio - 1 > limit && defaults.Verdict.Accepted && defaults.TaskLossDrop >= LearnedDrop
            ? " The difference is the point of the daemon: learning the narrow task does not require giving up the general model, as long as the update "
              + "is small and low-rank (LoRA on the decision tokens, moderate learning rate, one epoch) and general text is replayed alongside — and the guard measures it instead of trusting it."
            : defaults is not null && defaults.Verdict.Accepted && defaults.TaskLossDrop < LearnedDrop
                ? " The defaults trade speed for safety: this one run moved the task loss only a little, but it kept the general model, "
                  + "so the daemon publishes it and its next runs continue from there."
                : "";
        return string.Join(" ", sentences) + contrast;
    }

    private static void WriteAtomically(string path, string content)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, content, new UTF8Encoding(false));
        File.Move(temporary, path, overwrite: true);
    }

    private static string Invariant(FormattableString text) => text.ToString(Culture);
}
