namespace ContinualTrainer.Ingestion.Store;

/// <summary>
/// Moves an input file out of the watched folders (to the archive or quarantine folder) under its relative path,
/// never overwriting anything: a taken name gets <c>.1</c>, <c>.2</c>, ... before its extension.
/// </summary>
internal static class InboxMoves
{
    private const int MaxNameAttempts = 1000;

    /// <summary>
    /// Moves <paramref name="source"/> to <paramref name="folder"/>/<paramref name="relativeName"/> (or a free variant of
    /// it: neither on disk nor recorded, per <paramref name="isRecorded"/>) and returns where it went.
    /// </summary>
    public static async Task<string> MoveAsync(string source, string folder, string relativeName, Func<string, Task<bool>> isRecorded)
    {
        var wanted = Path.GetFullPath(Path.Combine(folder, relativeName));
        if (!wanted.StartsWith(Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            wanted = Path.Combine(folder, Path.GetFileName(source));
        Directory.CreateDirectory(Path.GetDirectoryName(wanted)!);
        var directory = Path.GetDirectoryName(wanted)!;
        var stem = Path.GetFileNameWithoutExtension(wanted);
        var extension = Path.GetExtension(wanted);
        for (var attempt = 0; attempt < MaxNameAttempts; attempt++)
        {
            var candidate = attempt == 0 ? wanted : Path.Combine(directory, $"{stem}.{attempt}{extension}");
            if (File.Exists(candidate) || Directory.Exists(candidate) || await isRecorded(candidate)) continue;
            try
            {
                File.Move(source, candidate, overwrite: false);
                return candidate;
            }
            catch (IOException) when (File.Exists(candidate))
            {
                // Taken between the check and the move: try the next name.
            }
        }
        throw new IOException($"no free name for {relativeName} in {folder} after {MaxNameAttempts} attempts");
    }
}
