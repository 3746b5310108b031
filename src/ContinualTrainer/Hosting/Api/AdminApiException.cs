namespace ContinualTrainer.Hosting.Api;

/// <summary>
/// A request the admin API refuses (bad parameter, body too large, wrong content type, malformed JSON): the
/// HTTP status and a one-line reason, answered as <c>{"error": "..."}</c> by <see cref="AdminApiErrors"/>.
/// </summary>
public sealed class AdminApiException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
