using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ContinualTrainer.Checkpoints;
using ContinualTrainer.Training;

namespace ContinualTrainer.Hosting.Api;

/// <summary>
/// A training run as the admin API shows it: <see cref="TrainingRunRecord"/> with lower-case trigger and result
/// names, versions as names (<c>v3</c>), the JSON columns (settings, adaptation, evaluations) embedded as JSON,
/// and — for one run (<c>GET /api/runs/{id}</c>) — its phases with their timing.
/// </summary>
public sealed record RunView
{
    public required long Id { get; init; }
    public required string Trigger { get; init; }
    public required string RequestedBy { get; init; }
    public required string Result { get; init; }
    public required string Phase { get; init; }
    public required DateTimeOffset StartedUtc { get; init; }
    public DateTimeOffset? FinishedUtc { get; init; }
    public double? Seconds { get; init; }
    public long? SnapshotId { get; init; }
    public string? VersionBefore { get; init; }
    public string? VersionAfter { get; init; }
    public JsonNode? Settings { get; init; }
    public JsonNode? Adaptation { get; init; }
    public JsonNode? EvaluationBefore { get; init; }
    public JsonNode? EvaluationAfter { get; init; }
    public string? Verdict { get; init; }
    public long Step { get; init; }
    public long TotalSteps { get; init; }
    public long TrainTokens { get; init; }
    public double? LastLoss { get; init; }
    public double? TokensPerSecond { get; init; }
    public string Detail { get; init; } = "";

    /// <summary>The run's phases in order; left out of run lists.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<RunPhaseRecord>? Phases { get; init; }

    public static RunView From(TrainingRunRecord run, IReadOnlyList<RunPhaseRecord>? phases = null) => new()
    {
        Id = run.Id,
        Trigger = run.Trigger.Name(),
        RequestedBy = run.RequestedBy,
        Result = run.Result.Name(),
        Phase = run.Phase,
        StartedUtc = run.StartedUtc,
        FinishedUtc = run.FinishedUtc,
        Seconds = run.Seconds,
        SnapshotId = run.SnapshotId,
        VersionBefore = run.VersionBefore is { } before ? VersionName.Format(before) : null,
        VersionAfter = run.VersionAfter is { } after ? VersionName.Format(after) : null,
        Settings = Embed(run.Settings),
        Adaptation = Embed(run.Adaptation),
        EvaluationBefore = Embed(run.EvaluationBefore),
        EvaluationAfter = Embed(run.EvaluationAfter),
        Verdict = run.Verdict,
        Step = run.Step,
        TotalSteps = run.TotalSteps,
        TrainTokens = run.TrainTokens,
        LastLoss = run.LastLoss,
        TokensPerSecond = run.TokensPerSecond,
        Detail = run.Detail,
        Phases = phases,
    };

    /// <summary>A JSON column as JSON; a value that does not parse is passed on as a string rather than failing the request.</summary>
    private static JsonNode? Embed(string? text)
    {
        if (text is null) return null;
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }
}
