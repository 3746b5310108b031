using System.Text.Json;
using System.Text.Json.Serialization;
using ContinualTrainer.Cli;
using Microsoft.AspNetCore.Http;

namespace ContinualTrainer.Hosting.Api;

/// <summary>
/// How the admin API writes JSON: the snake_case names of <c>status --json</c> (<see cref="StatusReport.JsonOptions"/>),
/// enums as snake_case strings, and non-finite numbers (a diverged loss) as <c>"NaN"</c>/<c>"Infinity"</c> instead of failing.
/// </summary>
public static class AdminJson
{
    public static readonly JsonSerializerOptions Options = new(StatusReport.JsonOptions)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static IResult Ok<T>(T value, int statusCode = StatusCodes.Status200OK) => Results.Json(value, Options, statusCode: statusCode);

    public static IResult Error(int statusCode, string message) => Results.Json(new ApiError(message), Options, statusCode: statusCode);

    /// <summary>Writes <c>{"error": ...}</c> with <paramref name="statusCode"/> (outside an endpoint: middleware, filters).</summary>
    public static Task WriteErrorAsync(HttpContext context, int statusCode, string message)
    {
        context.Response.StatusCode = statusCode;
        return context.Response.WriteAsJsonAsync(new ApiError(message), Options, context.RequestAborted);
    }
}
