using ContinualTrainer.Checkpoints;
using Microsoft.AspNetCore.Http;

namespace ContinualTrainer.Hosting.Api;

/// <summary>
/// The model versions through the admin API: <c>GET /api/checkpoints</c> (as <c>checkpoints list --json</c>;
/// <c>?all=true</c> includes pruned versions) and <c>POST /api/rollback/{version}</c>.
/// </summary>
public sealed class CheckpointEndpoints(CheckpointRepository repository)
{
    public const string DefaultRollbackReason = "rollback through the admin API";

    public async Task<IResult> ListAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        RequestValues.CheckQuery(request.Query, "all");
        var all = RequestValues.Flag(request.Query, "all");
        var current = repository.Local.ReadCurrent();
        var versions = await repository.ListAsync(cancellationToken);
        return AdminJson.Ok(new CheckpointList(
            current is { } c ? VersionName.Format(c) : null,
            [.. versions.Where(v => all || v.PrunedUtc is null)]));
    }

    /// <summary>
    /// Makes the version current again, recorded as a manual rollback by <c>api:ADDRESS</c>: 200 with the
    /// rollback record; 404 when the version was never recorded; 409 when it cannot be served (pruned,
    /// damaged beyond repair, already current).
    /// </summary>
    public async Task<IResult> RollbackAsync(HttpContext context, string version, CancellationToken cancellationToken)
    {
        RequestValues.CheckQuery(context.Request.Query);
        var number = RequestValues.Version(version);
        var body = RollbackRequest.Parse(await RequestBody.ReadJsonAsync(context.Request, cancellationToken));
        if (await repository.Ledger.GetAsync(number, cancellationToken) is null)
            return AdminJson.Error(StatusCodes.Status404NotFound, $"{VersionName.Format(number)} is not a recorded version");
        try
        {
            var record = await repository.RollbackAsync(number, RequestValues.Requester(context), body.Reason ?? DefaultRollbackReason, cancellationToken);
            return AdminJson.Ok(record);
        }
        catch (CheckpointException e)
        {
            return AdminJson.Error(StatusCodes.Status409Conflict, e.Message.ReplaceLineEndings(" "));
        }
    }
}
