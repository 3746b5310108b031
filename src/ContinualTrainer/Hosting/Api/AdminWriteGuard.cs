using ContinualTrainer.Checkpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ContinualTrainer.Hosting.Api;

/// <summary>
/// Guards the admin API's POST endpoints: requests from web pages (carrying an <c>Origin</c> header) are refused
/// with 403, so a page in a local browser cannot start runs or roll back; and when a token is configured
/// (<c>Metrics:AdminTokenFile</c>; always when listening beyond loopback) the request needs
/// <c>Authorization: Bearer TOKEN</c>, 401 with <c>WWW-Authenticate: Bearer</c> otherwise.
/// </summary>
public sealed partial class AdminWriteGuard(AdminToken? token, ILogger<AdminWriteGuard> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var request = http.Request;
        if (request.Headers.Origin.Count > 0)
        {
            LogRefused(logger, request.Method, request.Path, RequestValues.Requester(http), "sent from a web page (Origin header)");
            return AdminJson.Error(StatusCodes.Status403Forbidden,
                $"requests from web pages are refused (Origin {VersionName.Printable(request.Headers.Origin.ToString())}): the admin API takes no cross-site requests");
        }
        if (token is not null)
        {
            var authorization = request.Headers.Authorization;
            if (authorization.Count != 1 || !token.Accepts(authorization[0]))
            {
                var problem = authorization.Count == 0 ? "no bearer token" : "wrong bearer token";
                LogRefused(logger, request.Method, request.Path, RequestValues.Requester(http), problem);
                http.Response.Headers.WWWAuthenticate = "Bearer";
                return AdminJson.Error(StatusCodes.Status401Unauthorized,
                    $"{problem}: this endpoint needs 'Authorization: Bearer TOKEN' with the token of Metrics:AdminTokenFile");
            }
        }
        return await next(context);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "admin API: {Method} {Path} from {Who} refused: {Problem}")]
    private static partial void LogRefused(ILogger logger, string method, string path, string who, string problem);
}
