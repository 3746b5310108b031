using System.Globalization;
using System.Text;

namespace ContinualTrainer.Metrics;

/// <summary>
/// Spelling rules of the Prometheus text exposition format 0.0.4: escaping of HELP text and label values,
/// and numbers in the invariant culture with <c>+Inf</c>, <c>-Inf</c> and <c>NaN</c>.
/// </summary>
public static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>HELP text: backslash and line feed are escaped.</summary>
    public static void AppendHelp(StringBuilder output, string text)
    {
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\': output.Append(@"\\"); break;
                case '\n': output.Append(@"\n"); break;
                default: output.Append(c); break;
            }
        }
    }

    /// <summary>Label values: backslash, double quote and line feed are escaped.</summary>
    public static void AppendLabelValue(StringBuilder output, string value)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': output.Append(@"\\"); break;
                case '"': output.Append("\\\""); break;
                case '\n': output.Append(@"\n"); break;
                default: output.Append(c); break;
            }
        }
    }

    public static string FormatNumber(double value)
    {
        if (double.IsPositiveInfinity(value)) return "+Inf";
        if (double.IsNegativeInfinity(value)) return "-Inf";
        if (double.IsNaN(value)) return "NaN";
        return value.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>Metric and label names: <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c> (labels without ':'; '__' prefix reserved).</summary>
    public static bool IsValidMetricName(string name) => IsValidName(name, allowColon: true);

    public static bool IsValidLabelName(string name) => IsValidName(name, allowColon: false) && !name.StartsWith("__", StringComparison.Ordinal);

    private static bool IsValidName(string name, bool allowColon)
    {
        if (name.Length == 0) return false;
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            var ok = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_' || (allowColon && c == ':') || (i > 0 && c is >= '0' and <= '9');
            if (!ok) return false;
        }
        return true;
    }
}
