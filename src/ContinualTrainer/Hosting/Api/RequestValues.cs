using System.Globalization;
using ContinualTrainer.Checkpoints;
using Microsoft.AspNetCore.Http;

namespace ContinualTrainer.Hosting.Api;

/// <summary>
/// Parses the admin API's path and query values, and names the client. Anything but what is documented is a
/// 400 with the reason, never a default silently taken. Versions are written <c>v12</c> or <c>12</c>.
/// </summary>
public static class RequestValues
{
    /// <summary>A version number from <c>v12</c> or <c>12</c> (<see cref="VersionName"/>'s rules otherwise: no leading zeros, at most nine digits).</summary>
    public static int Version(string text)
    {
        var name = text.Length > 0 && char.IsAsciiDigit(text[0]) ? "v" + text : text;
        return VersionName.TryParse(name, out var number)
            ? number
            : throw BadRequest($"'{VersionName.Printable(text)}' is not a version: write v12 or 12");
    }

    /// <summary>A positive id (a run, a run request).</summary>
    public static long Id(string text, string what) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
            ? id
            : throw BadRequest($"'{VersionName.Printable(text)}' is not a {what} id: expected a whole number from 1");

    /// <summary>Refuses query parameters other than <paramref name="known"/> and any given more than once (typos do not go unnoticed).</summary>
    public static void CheckQuery(IQueryCollection query, params string[] known)
    {
        foreach (var (key, values) in query)
        {
            if (!known.Contains(key, StringComparer.Ordinal))
                throw BadRequest($"unknown query parameter '{VersionName.Printable(key)}' ({(known.Length == 0 ? "this endpoint takes none" : "known: " + string.Join(", ", known))})");
            if (values.Count > 1) throw BadRequest($"query parameter '{key}' is given {values.Count} times");
        }
    }

    /// <summary>Query parameter <paramref name="key"/> as a whole number from <paramref name="min"/> to <paramref name="max"/>, or <paramref name="defaultValue"/> when absent.</summary>
    public static int Int(IQueryCollection query, string key, int defaultValue, int min, int max)
    {
        if (!query.TryGetValue(key, out var values)) return defaultValue;
        var text = values.ToString();
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw BadRequest($"{key} = '{VersionName.Printable(text)}' is not valid: expected a whole number from {min} to {max}");
    }

    /// <summary>Query parameter <paramref name="key"/> as <c>true</c> or <c>false</c>; false when absent.</summary>
    public static bool Flag(IQueryCollection query, string key)
    {
        if (!query.TryGetValue(key, out var values)) return false;
        var text = values.ToString();
        return bool.TryParse(text, out var value) ? value : throw BadRequest($"{key} = '{VersionName.Printable(text)}' is not valid: expected true or false");
    }

    /// <summary>Who a request is recorded as: <c>api:</c> and the client's address.</summary>
    public static string Requester(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is { IsIPv4MappedToIPv6: true }) address = address.MapToIPv4();
        return "api:" + (address?.ToString() ?? "unknown");
    }

    private static AdminApiException BadRequest(string message) => new(StatusCodes.Status400BadRequest, message);
}
