using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace ContinualTrainer.Tests.Hosting.Api;

/// <summary>What the daemon answered: status, content type, headers and the body (parsed as JSON on demand).</summary>
internal sealed record ApiResponse(HttpStatusCode Status, string? MediaType, HttpResponseHeaders Headers, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    /// <summary>The <c>error</c> of an error body, after checking the body is exactly <c>{"error": "..."}</c> in JSON.</summary>
    public string Error
    {
        get
        {
            Assert.Equal("application/json", MediaType);
            var members = Json.EnumerateObject().ToList();
            Assert.Equal("error", Assert.Single(members).Name);
            var message = members[0].Value.GetString()!;
            Assert.DoesNotContain('\n', message);
            return message;
        }
    }
}
