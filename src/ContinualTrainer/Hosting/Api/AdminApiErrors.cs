using ContinualTrainer.Checkpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ContinualTrainer.Hosting.Api;

/// <summary>
/// Middleware that makes every error of the listener a JSON body <c>{"error": "..."}</c> with one line:
/// <see cref="AdminApiException"/>s with their status, unexpected failures as 500 (logged), and the empty
/// 404 (no such endpoint) and 405 (wrong method) answers of routing.
/// </summary>
public sealed partial class AdminApiErrors(RequestDelegate next, ILogger<AdminApiErrors> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        try
        {
            await next(context);
        }
        catch (AdminApiException e) when (!context.Response.HasStarted)
        {
            await AdminJson.WriteErrorAsync(context, e.StatusCode, e.Message);
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return; // the client went away
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            LogFailed(logger, e, request.Method, request.Path);
            await AdminJson.WriteErrorAsync(context, StatusCodes.Status500InternalServerError,
                $"{request.Method} {Printable(request)} failed: {e.Message.ReplaceLineEndings(" ")}");
            return;
        }
        var response = context.Response;
        if (response.HasStarted || response.ContentType is not null || response.ContentLength is not null) return;
        if (response.StatusCode == StatusCodes.Status404NotFound)
            await AdminJson.WriteErrorAsync(context, response.StatusCode, $"no such endpoint: {request.Method} {Printable(request)}");
        else if (response.StatusCode == StatusCodes.Status405MethodNotAllowed)
            await AdminJson.WriteErrorAsync(context, response.StatusCode, $"{request.Method} is not allowed on {Printable(request)}");
    }

    private static string Printable(HttpRequest request) => VersionName.Printable(request.Path.Value);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string method, string path);
}
