using ContinualTrainer.Tests.Checkpoints;
using ContinualTrainer.Tests.Support;
using ContinualTrainer.Training;

namespace ContinualTrainer.Tests.Hosting.Api;

/// <summary>
/// A state folder as a daemon that has worked for a while leaves it: versions v0 (base), v1 and v2 (current)
/// in the checkpoint store, and three finished runs — made with the repository and the run store, before
/// the daemon under test starts on it.
/// </summary>
internal sealed class ApiState : IDisposable
{
    private ApiState(TempDir dir, CheckpointHarness checkpoints, RunStore runs, IReadOnlyList<long> runIds)
    {
        Dir = dir;
        Checkpoints = checkpoints;
        Runs = runs;
        RunIds = runIds;
    }

    public TempDir Dir { get; }
    public string StateDirectory => Dir.File("state");
    public CheckpointHarness Checkpoints { get; }
    public RunStore Runs { get; }

    /// <summary>The runs in the order they were made: accepted (schedule), rejected (manual), skipped (schedule).</summary>
    public IReadOnlyList<long> RunIds { get; }

    public static async Task<ApiState> CreateAsync()
    {
        var dir = new TempDir();
        var ct = CancellationToken.None;
        var checkpoints = await CheckpointHarness.CreateAsync(dir);
        await checkpoints.RegisterBaseAsync();
        await checkpoints.PublishAsync(19.0);
        await checkpoints.PublishAsync(18.5);

        var runs = new RunStore(checkpoints.Database);
        var accepted = await runs.StartAsync(RunTrigger.Schedule, "", """{"learning_rate":0.0002}""", RunAdaptation.Initial(0.25), ct);
        await runs.EnterPhaseAsync(accepted, RunPhase.Train, "12 steps", ct);
        await runs.UpdateAsync(accepted, ct, ("version_before", 1), ("version_after", 2), ("last_loss", 1.25), ("step", 12L), ("total_steps", 12L));
        await runs.FinishAsync(accepted, RunResult.Accepted, "published v2", ct);
        var rejected = await runs.StartAsync(RunTrigger.Manual, "cli:alice", "{}", RunAdaptation.Initial(0.25), ct);
        await runs.FinishAsync(rejected, RunResult.Rejected, "general perplexity +9%", ct);
        var skipped = await runs.StartAsync(RunTrigger.Schedule, "", "{}", RunAdaptation.Initial(0.25), ct);
        await runs.FinishAsync(skipped, RunResult.Skipped, "too few new examples", ct);
        return new ApiState(dir, checkpoints, runs, [accepted, rejected, skipped]);
    }

    /// <summary>Who run request <paramref name="requestId"/> is recorded as (read from the database, whether claimed or not).</summary>
    public async Task<string?> RequesterOfAsync(long requestId)
    {
        await using var connection = await Checkpoints.Database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT requested_by FROM training_requests WHERE id = $id";
        command.Parameters.AddWithValue("$id", requestId);
        return await command.ExecuteScalarAsync() as string;
    }

    /// <summary>How many run requests were ever recorded.</summary>
    public async Task<long> RequestCountAsync()
    {
        await using var connection = await Checkpoints.Database.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM training_requests";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public void Dispose() => Dir.Dispose();
}
