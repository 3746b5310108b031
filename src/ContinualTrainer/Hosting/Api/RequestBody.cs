using System.Globalization;
using System.Text.Json;
using ContinualTrainer.Checkpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace ContinualTrainer.Hosting.Api;

/// <summary>
/// Reads an admin API request body bounded: at most <see cref="MaxBytes"/> (413 beyond, checked against
/// <c>Content-Length</c> before reading and against the bytes while reading chunked bodies), JSON only (415
/// otherwise), nested at most <see cref="MaxDepth"/> deep, well-formed (400 with the parser's reason otherwise).
/// </summary>
public static class RequestBody
{
    public const int MaxBytes = 16 * 1024;
    public const int MaxDepth = 16;

    /// <summary>The body's JSON value, or null when the request has no body.</summary>
    /// <exception cref="AdminApiException">413, 415 or 400 with the reason.</exception>
    public static async Task<JsonElement?> ReadJsonAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false } || request.ContentLength == 0) return null;
        if (request.ContentLength is { } length && length > MaxBytes)
            throw TooLarge(length.ToString(CultureInfo.InvariantCulture) + " bytes");
        if (!request.HasJsonContentType())
            throw new AdminApiException(StatusCodes.Status415UnsupportedMediaType,
                $"the request body must be JSON (Content-Type: application/json), not '{VersionName.Printable(request.ContentType ?? "none")}'");

        var buffer = new byte[MaxBytes + 1];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await request.Body.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0) break;
            read += n;
        }
        if (read > MaxBytes) throw TooLarge("more than that");
        if (read == 0) return null;
        try
        {
            using var document = JsonDocument.Parse(buffer.AsMemory(0, read), new JsonDocumentOptions { MaxDepth = MaxDepth });
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new AdminApiException(StatusCodes.Status400BadRequest, "the request body is not valid JSON: " + e.Message.ReplaceLineEndings(" "));
        }
    }

    private static AdminApiException TooLarge(string size) =>
        new(StatusCodes.Status413PayloadTooLarge, $"the request body may have at most {MaxBytes} bytes; it has {size}");
}
