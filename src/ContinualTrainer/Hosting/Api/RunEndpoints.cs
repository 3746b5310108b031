using System.Text.Json;
using ContinualTrainer.Training;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ContinualTrainer.Hosting.Api;

/// <summary>
/// The training runs through the admin API: <c>GET /api/runs</c>, <c>GET /api/runs/{id}</c> (with phases),
/// <c>POST /api/train</c> (records a run request for the scheduler and wakes it) and
/// <c>GET /api/train/{requestId}</c> (which run served a request).
/// </summary>
public sealed partial class RunEndpoints(RunStore runs, RunRequestSignal signal, ILogger<RunEndpoints> logger)
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 500;

    public async Task<IResult> ListAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        RequestValues.CheckQuery(request.Query, "limit");
        var limit = RequestValues.Int(request.Query, "limit", DefaultLimit, 1, MaxLimit);
        var list = await runs.ListAsync(limit, cancellationToken);
        return AdminJson.Ok(new RunList([.. list.Select(r => RunView.From(r))]));
    }

    public async Task<IResult> GetAsync(HttpRequest request, string id, CancellationToken cancellationToken)
    {
        RequestValues.CheckQuery(request.Query);
        var runId = RequestValues.Id(id, "run");
        if (await runs.GetAsync(runId, cancellationToken) is not { } run)
            return AdminJson.Error(StatusCodes.Status404NotFound, $"there is no run {runId}");
        return AdminJson.Ok(RunView.From(run, await runs.PhasesAsync(runId, cancellationToken)));
    }

    /// <summary>Records a run request as <c>api:ADDRESS</c> and answers 202 with its id (<c>Location</c>: where to follow it).</summary>
    public async Task<IResult> RequestRunAsync(HttpContext context, CancellationToken cancellationToken)
    {
        RequestValues.CheckQuery(context.Request.Query);
        var body = await RequestBody.ReadJsonAsync(context.Request, cancellationToken);
        if (body is { } json && json.ValueKind != JsonValueKind.Null
            && (json.ValueKind != JsonValueKind.Object || json.EnumerateObject().Any()))
            return AdminJson.Error(StatusCodes.Status400BadRequest, "POST /api/train takes no parameters: send no body or {}");
        var who = RequestValues.Requester(context);
        var requestId = await runs.RequestAsync(who, cancellationToken);
        signal.Notify();
        LogRequested(logger, who, requestId);
        context.Response.Headers.Location = $"/api/train/{requestId}";
        return AdminJson.Ok(new RunRequestState(requestId, null), StatusCodes.Status202Accepted);
    }

    public async Task<IResult> RequestStateAsync(HttpRequest request, string requestId, CancellationToken cancellationToken)
    {
        RequestValues.CheckQuery(request.Query);
        var id = RequestValues.Id(requestId, "run request");
        return AdminJson.Ok(new RunRequestState(id, await runs.RunForRequestAsync(id, cancellationToken)));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "training run requested through the admin API by {Who} (request {RequestId})")]
    private static partial void LogRequested(ILogger logger, string who, long requestId);
}
