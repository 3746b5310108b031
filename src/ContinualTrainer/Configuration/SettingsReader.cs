using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace ContinualTrainer.Configuration;

/// <summary>
/// Reads typed, validated values out of an <see cref="IConfiguration"/> and remembers which keys were read,
/// so that a misspelt key is reported instead of silently ignored. Every failure is a
/// <see cref="ConfigurationException"/> naming the key, the value and what is allowed.
/// </summary>
public sealed class SettingsReader(IConfiguration configuration)
{
    private readonly HashSet<string> known = new(StringComparer.OrdinalIgnoreCase);

    public string? GetString(string key, string? defaultValue = null)
    {
        known.Add(key);
        var value = configuration[key];
        return string.IsNullOrWhiteSpace(value) ? defaultValue : value.Trim();
    }

    public int GetInt(string key, int defaultValue, int min, int max)
    {
        var raw = GetString(key);
        if (raw is null) return defaultValue;
        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw Invalid(key, raw, $"a whole number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
        return value;
    }

    public double GetDouble(string key, double defaultValue, double min, double max)
    {
        var raw = GetString(key);
        if (raw is null) return defaultValue;
        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || !double.IsFinite(value) || value < min || value > max)
            throw Invalid(key, raw, $"a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
        return value;
    }

    public bool GetBool(string key, bool defaultValue)
    {
        var raw = GetString(key);
        if (raw is null) return defaultValue;
        if (!bool.TryParse(raw, out var value)) throw Invalid(key, raw, "true or false");
        return value;
    }

    public TimeSpan GetSeconds(string key, TimeSpan defaultValue, double minSeconds, double maxSeconds)
    {
        var seconds = GetDouble(key, defaultValue.TotalSeconds, minSeconds, maxSeconds);
        return TimeSpan.FromSeconds(seconds);
    }

    public string GetChoice(string key, string defaultValue, params string[] allowed)
    {
        var raw = GetString(key);
        if (raw is null) return defaultValue;
        foreach (var choice in allowed)
        {
            if (string.Equals(choice, raw, StringComparison.OrdinalIgnoreCase)) return choice;
        }
        throw Invalid(key, raw, "one of " + string.Join(", ", allowed));
    }

    /// <summary>A list given either as a JSON array or as one string (one element).</summary>
    public IReadOnlyList<string> GetList(string key, IReadOnlyList<string> defaultValue)
    {
        known.Add(key);
        var section = configuration.GetSection(key);
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            var single = section.Value;
            return string.IsNullOrWhiteSpace(single) ? defaultValue : [single.Trim()];
        }
        var list = new List<string>(children.Count);
        foreach (var child in children.OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue))
        {
            if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _) || child.GetChildren().Any())
                throw new ConfigurationException($"{key} must be a list of strings; found an object member '{child.Key}'");
            if (!string.IsNullOrWhiteSpace(child.Value)) list.Add(child.Value.Trim());
        }
        return list;
    }

    /// <summary>Throws for the first configured key that no options record reads (a typo, or a section this version does not have).</summary>
    public void RejectUnknownKeys()
    {
        foreach (var pair in configuration.AsEnumerable().OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase))
        {
            if (pair.Value is null) continue; // a section, not a leaf
            if (IsKnown(pair.Key)) continue;
            var section = pair.Key.Split(':')[0];
            var siblings = known.Where(k => k.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase)).Order().ToList();
            var hint = siblings.Count > 0
                ? $"known keys in {section}: {string.Join(", ", siblings)}"
                : $"known sections: {string.Join(", ", known.Select(k => k.Split(':')[0]).Distinct(StringComparer.OrdinalIgnoreCase).Order())}";
            throw new ConfigurationException($"unknown configuration key '{pair.Key}' ({hint})");
        }
    }

    private bool IsKnown(string key)
    {
        if (known.Contains(key)) return true;
        // list elements: Ingestion:AgentLogs:0
        var cut = key.LastIndexOf(':');
        return cut > 0 && int.TryParse(key.AsSpan(cut + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _) && known.Contains(key[..cut]);
    }

    public static ConfigurationException Invalid(string key, string value, string allowed) =>
        new($"{key} = '{value}' is not valid: expected {allowed}");
}
