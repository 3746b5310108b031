using System.Globalization;

namespace ContinualTrainer.Checkpoints;

/// <summary>
/// Version names: <c>v0</c> (the base model), <c>v1</c>, <c>v2</c>, ... — exactly <c>^v(0|[1-9][0-9]{0,8})$</c>,
/// so a name read from a file, a command line or a storage host can go into a path or a remote command as is.
/// </summary>
public static class VersionName
{
    /// <summary>The largest version number (nine digits).</summary>
    public const int MaxNumber = 999_999_999;

    public static string Format(int number)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(number);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(number, MaxNumber);
        return "v" + number.ToString(CultureInfo.InvariantCulture);
    }

    public static bool TryParse(string? name, out int number)
    {
        number = -1;
        if (name is null || name.Length < 2 || name.Length > 10 || name[0] != 'v') return false;
        var digits = name.AsSpan(1);
        if (digits.Length > 1 && digits[0] == '0') return false;
        foreach (var c in digits)
        {
            if (c is < '0' or > '9') return false;
        }
        number = int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        return true;
    }

    /// <summary>The number of <paramref name="name"/>; <see cref="CheckpointException"/> naming <paramref name="where"/> otherwise.</summary>
    public static int Parse(string? name, string where) =>
        TryParse(name, out var number)
            ? number
            : throw new CheckpointException($"{where}: '{Printable(name)}' is not a version name (v0, v1, v2, ...)");

    /// <summary>A name shortened and stripped of control characters, for messages.</summary>
    public static string Printable(string? value)
    {
        if (value is null) return "";
        var cut = value.Length > 80 ? value[..80] + "..." : value;
        return string.Concat(cut.Select(c => char.IsControl(c) ? '?' : c));
    }
}
