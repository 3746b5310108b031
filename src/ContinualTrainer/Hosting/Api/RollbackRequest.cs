using System.Text.Json;
using ContinualTrainer.Checkpoints;
using Microsoft.AspNetCore.Http;

namespace ContinualTrainer.Hosting.Api;

/// <summary>The optional body of <c>POST /api/rollback/{version}</c>: <c>{"reason": "..."}</c>.</summary>
public sealed record RollbackRequest(string? Reason)
{
    /// <summary>The longest reason recorded (as the checkpoint ledger allows).</summary>
    public const int MaxReasonLength = 1000;

    /// <summary>The request of a body read by <see cref="RequestBody"/> (null: no body, no reason).</summary>
    /// <exception cref="AdminApiException">400: not an object, an unknown member, or an unusable reason.</exception>
    public static RollbackRequest Parse(JsonElement? body)
    {
        if (body is not { } json || json.ValueKind == JsonValueKind.Null) return new RollbackRequest(Reason: null);
        if (json.ValueKind != JsonValueKind.Object) throw BadRequest("the body must be a JSON object such as {\"reason\": \"...\"}");
        string? reason = null;
        foreach (var member in json.EnumerateObject())
        {
            if (member.Name != "reason") throw BadRequest($"unknown member '{VersionName.Printable(member.Name)}' in the body (known: reason)");
            reason = member.Value.ValueKind switch
            {
                JsonValueKind.String => member.Value.GetString(),
                JsonValueKind.Null => null,
                _ => throw BadRequest($"reason must be a string, not {member.Value.ValueKind.ToString().ToLowerInvariant()}"),
            };
        }
        if (reason is not null && (string.IsNullOrWhiteSpace(reason) || reason.Length > MaxReasonLength || reason.Any(char.IsControl)))
            throw BadRequest($"reason must have 1 to {MaxReasonLength} characters and no control characters (line breaks, tabs)");
        return new RollbackRequest(reason?.Trim());
    }

    private static AdminApiException BadRequest(string message) => new(StatusCodes.Status400BadRequest, message);
}
