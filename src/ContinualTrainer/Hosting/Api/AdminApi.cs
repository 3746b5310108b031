using ContinualTrainer.State;
using ContinualTrainer.Training;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace ContinualTrainer.Hosting.Api;

/// <summary>
/// The local admin API on the metrics listener (<c>Metrics:Listen</c>), JSON with snake_case names:
/// <list type="bullet">
/// <item><c>GET /api/status</c>: what <c>status --json</c> shows, with the live phase and the last run.</item>
/// <item><c>GET /api/runs?limit=N</c> (1 to 500, default 20), <c>GET /api/runs/{id}</c> (with phases).</item>
/// <item><c>GET /api/checkpoints[?all=true]</c>: the versions and which one is current.</item>
/// <item><c>POST /api/train</c>: asks for a run now; 202 with <c>request_id</c>; <c>GET /api/train/{requestId}</c> follows it to its run.</item>
/// <item><c>POST /api/rollback/{version}</c> (<c>v12</c> or <c>12</c>), body optional <c>{"reason": "..."}</c>.</item>
/// </list>
/// GETs are open; POSTs are guarded by <see cref="AdminWriteGuard"/>. Bodies are bounded by <see cref="RequestBody"/>.
/// Every error is <c>{"error": "..."}</c> (<see cref="AdminApiErrors"/>).
/// </summary>
public static class AdminApi
{
    /// <summary>Registers the endpoints' services (and <see cref="RunStore"/> / <see cref="RunRequestSignal"/> unless already registered).</summary>
    public static IServiceCollection AddAdminApi(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => new RunStore(sp.GetRequiredService<StateDatabase>()));
        services.TryAddSingleton<RunRequestSignal>();
        services.AddSingleton<StatusEndpoint>();
        services.AddSingleton<RunEndpoints>();
        services.AddSingleton<CheckpointEndpoints>();
        return services;
    }

    /// <summary>Adds the JSON error middleware and maps the endpoints; <paramref name="token"/> null: POSTs need no token.</summary>
    public static WebApplication UseAdminApi(this WebApplication app, AdminToken? token)
    {
        app.UseMiddleware<AdminApiErrors>();
        var api = app.MapGroup("/api");
        api.MapGet("/status", (StatusEndpoint status, HttpRequest request, CancellationToken ct) => status.GetAsync(request, ct));
        api.MapGet("/runs", (RunEndpoints runs, HttpRequest request, CancellationToken ct) => runs.ListAsync(request, ct));
        api.MapGet("/runs/{id}", (RunEndpoints runs, HttpRequest request, string id, CancellationToken ct) => runs.GetAsync(request, id, ct));
        api.MapGet("/train/{requestId}", (RunEndpoints runs, HttpRequest request, string requestId, CancellationToken ct) => runs.RequestStateAsync(request, requestId, ct));
        api.MapGet("/checkpoints", (CheckpointEndpoints checkpoints, HttpRequest request, CancellationToken ct) => checkpoints.ListAsync(request, ct));

        var writes = api.MapGroup("").AddEndpointFilter(new AdminWriteGuard(token, app.Services.GetRequiredService<ILogger<AdminWriteGuard>>()));
        writes.MapPost("/train", (RunEndpoints runs, HttpContext context, CancellationToken ct) => runs.RequestRunAsync(context, ct));
        writes.MapPost("/rollback/{version}", (CheckpointEndpoints checkpoints, HttpContext context, string version, CancellationToken ct) => checkpoints.RollbackAsync(context, version, ct));
        return app;
    }
}
