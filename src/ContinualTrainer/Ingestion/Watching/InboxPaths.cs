using System.IO.Enumeration;
using ContinualTrainer.Configuration;

namespace ContinualTrainer.Ingestion.Watching;

/// <summary>
/// Which paths in the watched folders are inputs, and which watched folder a path belongs to.
/// </summary>
/// <remarks>
/// Ignored: names ending in <c>.tmp</c>, <c>.part</c> or <c>~</c> (files still being written by the usual
/// write-then-rename convention, editor backups) and dotfiles; and everything inside a folder whose name starts
/// with a dot (rsync's and editors' scratch folders, <c>.git</c>).
/// </remarks>
public static class InboxPaths
{
    /// <summary>True when the file name marks a file that is not (yet) an input.</summary>
    public static bool IsIgnoredName(string fileName) =>
        fileName.Length == 0
        || fileName[0] == '.'
        || fileName.EndsWith(".tmp", StringComparison.Ordinal)
        || fileName.EndsWith(".part", StringComparison.Ordinal)
        || fileName.EndsWith('~');

    /// <summary>True when a path relative to a watched folder is ignored: an ignored file name, or inside a dot-folder.</summary>
    public static bool IsIgnored(string relativePath)
    {
        var segments = relativePath.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0) return true;
        for (var i = 0; i < segments.Length - 1; i++)
        {
            if (segments[i][0] == '.') return true;
        }
        return IsIgnoredName(segments[^1]);
    }

    /// <summary>True when <paramref name="path"/> lies strictly below <paramref name="folder"/> (both absolute, normalised).</summary>
    public static bool IsInside(string path, string folder)
    {
        var prefix = folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + Path.DirectorySeparatorChar;
        return path.Length > prefix.Length && path.StartsWith(prefix, StringComparison.Ordinal);
    }

    /// <summary>The watched folder holding <paramref name="path"/> (absolute) and the configured format there; null outside them.</summary>
    public static InboxLocation? Locate(IngestionOptions options, string path)
    {
        var root = options.Roots.FirstOrDefault(r => IsInside(path, r.Path));
        if (root is null) return null;
        var format = options.Formats
            .Where(f => f.Folder == root.Path || IsInside(path, f.Folder))
            .OrderByDescending(f => f.Folder.Length)
            .FirstOrDefault();
        return new InboxLocation(root, Path.GetRelativePath(root.Path, path), format?.Format);
    }

    /// <summary>The input files below <paramref name="folder"/>, recursively, in ordinal order, without the ignored ones.</summary>
    public static IReadOnlyList<string> EnumerateFiles(string folder)
    {
        if (!Directory.Exists(folder)) return [];
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = 0,
        };
        var files = new FileSystemEnumerable<string>(folder, (ref entry) => entry.ToFullPath(), options)
        {
            ShouldIncludePredicate = (ref entry) => !entry.IsDirectory && !IsIgnoredName(entry.FileName.ToString()),
            ShouldRecursePredicate = (ref entry) => entry.FileName is not ['.', ..],
        };
        return files.Order(StringComparer.Ordinal).ToList();
    }
}
