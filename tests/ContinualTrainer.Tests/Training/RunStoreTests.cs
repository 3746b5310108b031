using ContinualTrainer.State;
using ContinualTrainer.Tests.Support;
using ContinualTrainer.Training;

namespace ContinualTrainer.Tests.Training;

public sealed class RunStoreTests
{
    private static async Task<RunStore> NewStore(TempDir dir)
    {
        var database = new StateDatabase(dir.File("state.db"));
        await database.MigrateAsync(CancellationToken.None);
        return new RunStore(database);
    }

    [Fact]
    public async Task Records_every_phase_with_its_timing_and_the_result()
    {
        using var dir = new TempDir();
        var store = await NewStore(dir);
        var ct = CancellationToken.None;

        var id = await store.StartAsync(RunTrigger.Manual, "cli:alice", "{\"lr\":1e-4}", RunAdaptation.Initial(0.25), ct);
        await store.EnterPhaseAsync(id, RunPhase.EvaluateBefore, "", ct);
        await store.UpdateAsync(id, ct, ("version_before", 0), ("eval_before", "{\"general_perplexity\":20}"));
        await store.EnterPhaseAsync(id, RunPhase.Train, "40 steps", ct);
        await store.UpdateAsync(id, ct, ("step", 40L), ("total_steps", 40L), ("last_loss", 1.5), ("train_tokens", 5120L));
        await store.FinishAsync(id, RunResult.Rejected, "general perplexity +9%", ct);

        var run = await store.GetAsync(id, ct);
        Assert.NotNull(run);
        Assert.Equal(RunResult.Rejected, run.Result);
        Assert.Equal(RunTrigger.Manual, run.Trigger);
        Assert.Equal("cli:alice", run.RequestedBy);
        Assert.Equal(RunPhase.Done, run.Phase);
        Assert.Equal(0, run.VersionBefore);
        Assert.Null(run.VersionAfter);
        Assert.Equal(40, run.Step);
        Assert.Equal(1.5, run.LastLoss);
        Assert.Equal("general perplexity +9%", run.Detail);
        Assert.NotNull(run.FinishedUtc);
        Assert.True(run.Seconds >= 0);
        Assert.Contains("0.25", run.Adaptation);

        var phases = await store.PhasesAsync(id, ct);
        Assert.Equal([RunPhase.Snapshot, RunPhase.EvaluateBefore, RunPhase.Train], phases.Select(p => p.Phase));
        Assert.All(phases, p => Assert.True(p.Seconds >= 0));
        Assert.Equal("40 steps", phases[2].Detail);
    }

    [Fact]
    public async Task Runs_left_running_by_a_crash_become_interrupted()
    {
        using var dir = new TempDir();
        var store = await NewStore(dir);
        var ct = CancellationToken.None;
        var crashed = await store.StartAsync(RunTrigger.Schedule, "", "{}", RunAdaptation.Initial(0.25), ct);
        var finished = await store.StartAsync(RunTrigger.Schedule, "", "{}", RunAdaptation.Initial(0.25), ct);
        await store.FinishAsync(finished, RunResult.Accepted, "", ct);

        Assert.Equal(1, await store.InterruptAbandonedAsync("daemon stopped during the run", ct));

        Assert.Equal(RunResult.Interrupted, (await store.GetAsync(crashed, ct))!.Result);
        Assert.Equal(RunResult.Accepted, (await store.GetAsync(finished, ct))!.Result);
        Assert.Equal(0, await store.InterruptAbandonedAsync("again", ct));
        Assert.Equal([finished, crashed], (await store.ListAsync(10, ct)).Select(r => r.Id));
        Assert.Equal(finished, (await store.LastAsync(RunResult.Accepted, ct))!.Id);
    }

    [Fact]
    public async Task Several_requests_are_served_by_one_run()
    {
        using var dir = new TempDir();
        var store = await NewStore(dir);
        var ct = CancellationToken.None;
        Assert.Null(await store.PendingRequestAsync(ct));
        var first = await store.RequestAsync("api", ct);
        var second = await store.RequestAsync("cli", ct);
        Assert.Equal((first, "api"), await store.PendingRequestAsync(ct));

        var run = await store.StartAsync(RunTrigger.Manual, "api", "{}", RunAdaptation.Initial(0.25), ct);
        Assert.Equal(2, await store.ClaimRequestsAsync(run, ct));

        Assert.Null(await store.PendingRequestAsync(ct));
        Assert.Equal(run, await store.RunForRequestAsync(first, ct));
        Assert.Equal(run, await store.RunForRequestAsync(second, ct));
    }

    [Fact]
    public async Task The_adaptation_survives_a_restart()
    {
        using var dir = new TempDir();
        var store = await NewStore(dir);
        var ct = CancellationToken.None;
        Assert.Equal(RunAdaptation.Initial(0.25), await store.ReadAdaptationAsync(0.25, ct));
        var adapted = new RunAdaptation(2, 0.25, 0.45);
        await store.SaveAdaptationAsync(adapted, ct);

        var reopened = new RunStore(new StateDatabase(dir.File("state.db")));
        Assert.Equal(adapted, await reopened.ReadAdaptationAsync(0.25, ct));
    }

    [Fact]
    public async Task Only_known_columns_can_be_updated()
    {
        using var dir = new TempDir();
        var store = await NewStore(dir);
        var id = await store.StartAsync(RunTrigger.Manual, "", "{}", RunAdaptation.Initial(0.25), CancellationToken.None);
        await Assert.ThrowsAsync<ArgumentException>(() => store.UpdateAsync(id, CancellationToken.None, ("result; DROP TABLE training_runs", "x")));
    }
}
