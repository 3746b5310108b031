namespace ContinualTrainer.Training;

/// <summary>The lower-case names runs, results and triggers have in the database, the CLI, the API and the metrics.</summary>
public static class RunNames
{
    public static string Name(this RunResult result) => result.ToString().ToLowerInvariant();

    public static string Name(this RunTrigger trigger) => trigger.ToString().ToLowerInvariant();

    public static RunResult ParseResult(string name) =>
        Enum.TryParse<RunResult>(name, ignoreCase: true, out var result) ? result : throw new FormatException($"unknown run result '{name}'");

    public static RunTrigger ParseTrigger(string name) =>
        Enum.TryParse<RunTrigger>(name, ignoreCase: true, out var trigger) ? trigger : throw new FormatException($"unknown run trigger '{name}'");
}
