namespace ContinualTrainer.Checkpoints;

/// <summary>
/// The rules for file names inside a version directory, applied to every name read from a manifest, a staging
/// directory or a storage host's listing: relative, '/'-separated, each part made of letters, digits and
/// <c>. _ - +</c>, not starting with '.' or '-' (so no <c>..</c>, no hidden files, nothing a shell or rsync
/// reads as an option), and at most 8 levels deep. On disk no part of the path may be a symbolic link, so a
/// version's files never resolve outside its directory.
/// </summary>
public static class CheckpointPaths
{
    public const string ManifestFileName = "manifest.json";
    public const string ManifestChecksumFileName = "manifest.sha256";
    public const string CurrentFileName = "current";

    private const int MaxPathLength = 1024;
    private const int MaxPartLength = 255;
    private const int MaxDepth = 8;

    /// <summary>Null when <paramref name="path"/> is an acceptable relative file name; otherwise why it is not.</summary>
    public static string? Problem(string? path)
    {
        if (string.IsNullOrEmpty(path)) return "the name is empty";
        if (path.Length > MaxPathLength) return $"the name is longer than {MaxPathLength} characters";
        if (path[0] == '/') return "the name is an absolute path";
        var parts = path.Split('/');
        if (parts.Length > MaxDepth) return $"the name is more than {MaxDepth} folders deep";
        foreach (var part in parts)
        {
            if (part.Length == 0) return "the name has an empty part ('//' or a trailing '/')";
            if (part is "." or "..") return $"the name has a '{part}' part";
            if (part.Length > MaxPartLength) return $"a part of the name is longer than {MaxPartLength} characters";
            if (part[0] is '.' or '-') return $"part '{part}' starts with '{part[0]}'";
            foreach (var c in part)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '+'))
                    return $"the name has the character {(char.IsControl(c) || c > '~' ? $"U+{(int)c:X4}" : $"'{c}'")}; only letters, digits, '.', '_', '-', '+' and '/' are allowed";
            }
        }
        return null;
    }

    /// <summary>Throws <see cref="CheckpointException"/> (prefixed with <paramref name="where"/>) when <paramref name="path"/> breaks the rules.</summary>
    public static void Validate(string? path, string where)
    {
        if (Problem(path) is { } problem)
            throw new CheckpointException($"{where}: file name '{VersionName.Printable(path)}' refused: {problem}");
    }

    /// <summary>
    /// The full path of <paramref name="relative"/> under <paramref name="directory"/> after checking that neither
    /// the directory nor any existing part below it is a symbolic link.
    /// </summary>
    public static string Resolve(string directory, string relative, string where)
    {
        Validate(relative, where);
        var current = directory;
        if (IsLink(current)) throw new CheckpointException($"{where}: {directory} is a symbolic link; version directories must be real folders");
        foreach (var part in relative.Split('/'))
        {
            current = Path.Combine(current, part);
            if (IsLink(current)) throw new CheckpointException($"{where}: {relative} is (or passes through) a symbolic link, refused");
        }
        return current;
    }

    /// <summary>True when <paramref name="path"/> exists and is a symbolic link (of any kind, dangling or not).</summary>
    public static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;
}
