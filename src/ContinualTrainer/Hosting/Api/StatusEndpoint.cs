using System.Text.Json;
using System.Text.Json.Nodes;
using ContinualTrainer.Cli;
using ContinualTrainer.Configuration;
using ContinualTrainer.Training;
using Microsoft.AspNetCore.Http;

namespace ContinualTrainer.Hosting.Api;

/// <summary>
/// <c>GET /api/status</c>: the facts of <c>continual-trainer status --json</c> (<see cref="StatusCommand.CollectAsync"/>:
/// current version, conversations and input files, upload backlog, last rollback, ...) with the live phase,
/// status line and waiting reason from the <see cref="StatusBoard"/> (the configuration's reason while the daemon
/// loop has not set one yet), and the last run.
/// </summary>
public sealed class StatusEndpoint(DaemonOptions options, StatusBoard board, RunStore runs)
{
    public async Task<IResult> GetAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        RequestValues.CheckQuery(request.Query);
        var report = await StatusCommand.CollectAsync(options, cancellationToken);
        var lastRun = (await runs.ListAsync(1, cancellationToken)).FirstOrDefault();
        var status = JsonSerializer.SerializeToNode(report with
        {
            StatusLine = board.Line,
            WaitingFor = board.Waiting is { } waiting ? [waiting] : report.WaitingFor,
        }, AdminJson.Options)!.AsObject();
        status["phase"] = board.Phase;
        status["last_run"] = lastRun is null ? null : JsonSerializer.SerializeToNode(RunView.From(lastRun), AdminJson.Options);
        return AdminJson.Ok(status);
    }
}
