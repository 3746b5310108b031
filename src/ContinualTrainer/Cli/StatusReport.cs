using System.Text.Json;
using System.Text.Json.Serialization;
using ContinualTrainer.Checkpoints;
using ContinualTrainer.Ingestion.Store;

namespace ContinualTrainer.Cli;

/// <summary>What <c>continual-trainer status</c> reports; serialised with snake_case names for <c>--json</c>.</summary>
public sealed record StatusReport
{
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public required string StateDir { get; init; }
    public string? ConfigFile { get; init; }
    public bool DaemonRunning { get; init; }
    public int? Pid { get; init; }
    public string? StatusLine { get; init; }
    /// <summary>The running daemon's HTTP listener (/metrics, /api/...).</summary>
    public string? ListenUrl { get; init; }
    public string? LastStartedUtc { get; init; }
    public string? LastStoppedUtc { get; init; }
    /// <summary>Null when the state folder has no database yet (the daemon never ran there).</summary>
    public int? SchemaVersion { get; init; }
    public string? Model { get; init; }
    public IReadOnlyList<string> WaitingFor { get; init; } = [];
    /// <summary>Current version, upload backlog and last rollback; null before the database has the checkpoint tables.</summary>
    public CheckpointStatus? Checkpoints { get; init; }
    /// <summary>Conversations stored, files taken last, quarantined files; null before the database has the ingestion tables.</summary>
    public IngestionStatus? Ingestion { get; init; }

    public void WriteText(TextWriter output)
    {
        output.WriteLine($"state folder:  {StateDir}");
        output.WriteLine($"configuration: {ConfigFile ?? "embedded defaults"}");
        output.WriteLine($"daemon:        {(DaemonRunning ? $"running{(Pid is { } p ? $" (pid {p})" : "")}" : "not running")}");
        if (DaemonRunning && StatusLine is not null) output.WriteLine($"status:        {StatusLine}");
        if (ListenUrl is not null) output.WriteLine($"listening on:  {ListenUrl}");
        if (LastStartedUtc is not null) output.WriteLine($"last started:  {LastStartedUtc}");
        if (!DaemonRunning && LastStoppedUtc is not null) output.WriteLine($"last stopped:  {LastStoppedUtc}");
        output.WriteLine($"database:      {(SchemaVersion is { } v ? $"schema version {v}" : "none yet (the daemon has not run on this folder)")}");
        output.WriteLine($"model:         {Model ?? "none configured"}");
        foreach (var reason in WaitingFor) output.WriteLine($"waiting for:   {reason}");
        Ingestion?.WriteText(output);
        Checkpoints?.WriteText(output);
    }
}
