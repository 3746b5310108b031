using System.Security.Cryptography;
using System.Text;

namespace ContinualTrainer.Checkpoints;

/// <summary>
/// The local store: a folder holding one directory per version (<c>v0</c>, <c>v1</c>, ...), the pointer file
/// <c>current</c>, and two hidden work folders — <c>.staging</c> (versions being assembled, files being fetched)
/// and <c>.trash</c> (versions being deleted). A version appears by one rename of a complete, verified directory
/// and disappears by one rename into <c>.trash</c>, so a crash never leaves half a version visible. Files are
/// created with the process umask.
/// </summary>
public sealed class LocalCheckpointStore
{
    private const string StagingFolder = ".staging";
    private const string TrashFolder = ".trash";
    private const int MaxEntries = 100_000;
    private const int MaxDepth = 8;

    public LocalCheckpointStore(string root) => Root = Path.GetFullPath(root);

    public string Root { get; }

    public string CurrentFile => Path.Combine(Root, CheckpointPaths.CurrentFileName);

    public string VersionDirectory(int number) => Path.Combine(Root, VersionName.Format(number));

    public void EnsureCreated()
    {
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Path.Combine(Root, StagingFolder));
        Directory.CreateDirectory(Path.Combine(Root, TrashFolder));
    }

    /// <summary>Deletes what an interrupted operation left in the work folders. Only while holding the store lock.</summary>
    public void ClearWorkFolders()
    {
        foreach (var folder in new[] { StagingFolder, TrashFolder })
        {
            var path = Path.Combine(Root, folder);
            if (!Directory.Exists(path)) continue;
            foreach (var entry in Directory.EnumerateFileSystemEntries(path)) DeleteEntry(entry);
        }
        foreach (var temp in Directory.EnumerateFiles(Root, ".current.tmp-*")) File.Delete(temp);
    }

    /// <summary>A new, empty folder under <c>.staging</c> named after <paramref name="label"/>.</summary>
    public string CreateStagingDirectory(string label)
    {
        var path = Path.Combine(Root, StagingFolder, $"{label}.{RandomNumberGenerator.GetHexString(12, lowercase: true)}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>The version <c>current</c> names, or null when there is no <c>current</c> yet.</summary>
    public int? ReadCurrent()
    {
        var path = CurrentFile;
        if (CheckpointPaths.IsLink(path)) throw new CheckpointException($"{path}: is a symbolic link; expected a file naming the current version");
        if (!File.Exists(path)) return null;
        using var stream = PosixFiles.OpenRegularForRead(path) ?? throw new CheckpointException($"{path}: not a regular file");
        var buffer = new byte[32];
        var length = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        return VersionName.Parse(Encoding.UTF8.GetString(buffer, 0, length).TrimEnd('\n'), path);
    }

    /// <summary>Points <c>current</c> at <paramref name="number"/>: a new file flushed to disk, renamed over the old one, the folder flushed.</summary>
    public void WriteCurrent(int number)
    {
        var temp = Path.Combine(Root, $".current.tmp-{RandomNumberGenerator.GetHexString(12, lowercase: true)}");
        try
        {
            FileDigest.WriteNew(temp, Encoding.UTF8.GetBytes(VersionName.Format(number) + "\n"));
            File.Move(temp, CurrentFile, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        PosixFiles.FlushDirectory(Root);
    }

    /// <summary>The version directories present (real folders named v0, v1, ...), oldest first.</summary>
    public IReadOnlyList<int> ListVersions()
    {
        if (!Directory.Exists(Root)) return [];
        var versions = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories(Root))
        {
            if (VersionName.TryParse(Path.GetFileName(directory), out var number) && !CheckpointPaths.IsLink(directory)) versions.Add(number);
        }
        versions.Sort();
        return versions;
    }

    /// <summary>Moves the complete staging directory into place as version <paramref name="number"/> (one rename) and flushes both folders.</summary>
    public void Promote(string stagingDirectory, int number)
    {
        var target = VersionDirectory(number);
        if (Directory.Exists(target) || File.Exists(target) || CheckpointPaths.IsLink(target))
            throw new CheckpointException($"{target} already exists; a version is never overwritten");
        FlushTree(stagingDirectory);
        Directory.Move(stagingDirectory, target);
        PosixFiles.FlushDirectory(Path.GetDirectoryName(stagingDirectory)!);
        PosixFiles.FlushDirectory(Root);
    }

    /// <summary>Removes a version directory (or any entry of the store): renamed into <c>.trash</c> first, so it vanishes at once, then deleted.</summary>
    public void Delete(string path)
    {
        if (!Directory.Exists(path) && !File.Exists(path) && !CheckpointPaths.IsLink(path)) return;
        var trashed = Path.Combine(Root, TrashFolder, $"{Path.GetFileName(path)}.{RandomNumberGenerator.GetHexString(12, lowercase: true)}");
        if (Directory.Exists(path) && !CheckpointPaths.IsLink(path)) Directory.Move(path, trashed);
        else File.Move(path, trashed);
        PosixFiles.FlushDirectory(Path.GetDirectoryName(path)!);
        DeleteEntry(trashed);
    }

    /// <summary>Replaces one file of a version with a verified copy (one rename), creating its folder if needed.</summary>
    public void ReplaceFile(int number, string relativePath, string verifiedCopy)
    {
        var where = VersionName.Format(number) + " (local)";
        var target = CheckpointPaths.Resolve(VersionDirectory(number), relativePath, where);
        var folder = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(folder);
        if (Directory.Exists(target)) Delete(target);
        File.Move(verifiedCopy, target, overwrite: true);
        PosixFiles.FlushDirectory(folder);
    }

    public Task<VersionCheck> VerifyAsync(int number, string? expectedManifestSha256, CancellationToken cancellationToken) =>
        VerifyDirectoryAsync(VersionDirectory(number), number, expectedManifestSha256, VersionCheck.LocalStore, cancellationToken);

    /// <summary>
    /// Verifies <paramref name="directory"/> as version <paramref name="number"/>: the manifest's checksum (against
    /// <paramref name="expectedManifestSha256"/> when the state database has one, else against <c>manifest.sha256</c>),
    /// then every listed file's presence, size and SHA-256, and that nothing else (no unlisted file, no symbolic link) is there.
    /// </summary>
    public static async Task<VersionCheck> VerifyDirectoryAsync(string directory, int number, string? expectedManifestSha256, string store, CancellationToken cancellationToken)
    {
        var problems = new List<FileProblem>();
        if (CheckpointPaths.IsLink(directory)) return new VersionCheck(number, store, null, [new(".", "the version directory is a symbolic link")]);
        if (!Directory.Exists(directory)) return new VersionCheck(number, store, null, [new(".", "the version directory is missing")]);

        var manifest = await ReadManifestAsync(directory, number, expectedManifestSha256, problems, cancellationToken);
        if (manifest is null) return new VersionCheck(number, store, null, problems);

        foreach (var file in manifest.Files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await CheckFileAsync(directory, file, cancellationToken) is { } problem) problems.Add(new FileProblem(file.Path, problem));
        }
        var listed = manifest.Files.Select(f => f.Path).Append(CheckpointPaths.ManifestFileName).Append(CheckpointPaths.ManifestChecksumFileName).ToHashSet(StringComparer.Ordinal);
        var tree = ListTree(directory);
        problems.AddRange(tree.Refused.Where(r => !problems.Any(p => p.Path == r.Path)));
        problems.AddRange(tree.Files.Where(f => !listed.Contains(f)).Select(f => new FileProblem(f, "not listed in the manifest")));
        return new VersionCheck(number, store, manifest, problems);
    }

    /// <summary>
    /// Walks <paramref name="directory"/> without following symbolic links: regular entries become files, links and
    /// names outside <see cref="CheckpointPaths"/>' rules become refusals; bounded in depth and entry count.
    /// </summary>
    public static TreeListing ListTree(string directory)
    {
        var files = new List<string>();
        var refused = new List<FileProblem>();
        var entries = 0;
        Walk(directory, "", 0);
        return new TreeListing(files, refused);

        void Walk(string path, string prefix, int depth)
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(path).Order(StringComparer.Ordinal))
            {
                if (++entries > MaxEntries)
                {
                    refused.Add(new FileProblem(".", $"more than {MaxEntries} entries"));
                    return;
                }
                var name = Path.GetFileName(entry);
                var relative = prefix + name;
                if (CheckpointPaths.IsLink(entry)) refused.Add(new FileProblem(relative, "is a symbolic link"));
                else if (CheckpointPaths.Problem(name) is { } problem) refused.Add(new FileProblem(relative, problem));
                else if (Directory.Exists(entry))
                {
                    if (depth + 1 >= MaxDepth) refused.Add(new FileProblem(relative, $"is more than {MaxDepth} folders deep"));
                    else Walk(entry, relative + "/", depth + 1);
                }
                else files.Add(relative);
            }
        }
    }

    /// <summary>Writes <c>manifest.json</c> and <c>manifest.sha256</c> into <paramref name="directory"/>; returns the manifest's SHA-256.</summary>
    public static string WriteManifest(string directory, CheckpointManifest manifest)
    {
        var json = manifest.ToJson();
        var sha = FileDigest.Sha256(json);
        FileDigest.WriteNew(Path.Combine(directory, CheckpointPaths.ManifestFileName), json);
        FileDigest.WriteNew(Path.Combine(directory, CheckpointPaths.ManifestChecksumFileName), Encoding.UTF8.GetBytes(CheckpointManifest.ChecksumLine(sha)));
        return sha;
    }

    private static async Task<CheckpointManifest?> ReadManifestAsync(string directory, int number, string? expectedSha256, List<FileProblem> problems, CancellationToken cancellationToken)
    {
        var name = VersionName.Format(number);
        var bytes = await ReadSmallFileAsync(directory, CheckpointPaths.ManifestFileName, CheckpointManifest.MaxBytes, problems, cancellationToken);
        var checksumBytes = await ReadSmallFileAsync(directory, CheckpointPaths.ManifestChecksumFileName, 256, problems, cancellationToken);
        if (bytes is null) return null;
        var actual = FileDigest.Sha256(bytes);
        string? recorded = null;
        if (checksumBytes is not null)
        {
            try
            {
                recorded = CheckpointManifest.ParseChecksumLine(Encoding.UTF8.GetString(checksumBytes), CheckpointPaths.ManifestChecksumFileName);
            }
            catch (CheckpointException e)
            {
                problems.Add(new FileProblem(CheckpointPaths.ManifestChecksumFileName, e.Message));
            }
        }
        if (expectedSha256 is not null && actual != expectedSha256)
        {
            problems.Add(new FileProblem(CheckpointPaths.ManifestFileName, $"checksum mismatch: the state database records {expectedSha256[..12]}..., the file has {actual[..12]}..."));
            return null;
        }
        if (recorded is not null && actual != recorded)
        {
            problems.Add(new FileProblem(CheckpointPaths.ManifestFileName, $"checksum mismatch: manifest.sha256 records {recorded[..12]}..., the file has {actual[..12]}..."));
            return null;
        }
        if (expectedSha256 is null && recorded is null) return null; // nothing vouches for the manifest
        try
        {
            var manifest = CheckpointManifest.Parse(bytes, $"{name}/{CheckpointPaths.ManifestFileName}");
            if (manifest.Version != name)
            {
                problems.Add(new FileProblem(CheckpointPaths.ManifestFileName, $"describes {VersionName.Printable(manifest.Version)}, not {name}"));
                return null;
            }
            return manifest;
        }
        catch (CheckpointException e)
        {
            problems.Add(new FileProblem(CheckpointPaths.ManifestFileName, e.Message));
            return null;
        }
    }

    private static async Task<byte[]?> ReadSmallFileAsync(string directory, string name, int maxBytes, List<FileProblem> problems, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, name);
        if (CheckpointPaths.IsLink(path))
        {
            problems.Add(new FileProblem(name, "is a symbolic link"));
            return null;
        }
        if (!File.Exists(path))
        {
            problems.Add(new FileProblem(name, "missing"));
            return null;
        }
        await using var stream = PosixFiles.OpenRegularForRead(path);
        if (stream is null)
        {
            problems.Add(new FileProblem(name, "not a regular file"));
            return null;
        }
        if (stream.Length > maxBytes)
        {
            problems.Add(new FileProblem(name, $"{stream.Length} bytes, more than the {maxBytes}-byte limit"));
            return null;
        }
        var buffer = new byte[stream.Length];
        await stream.ReadExactlyAsync(buffer, cancellationToken);
        return buffer;
    }

    /// <summary>Null when the file is present, regular, of the listed size and checksum; otherwise what is wrong.</summary>
    private static async Task<string?> CheckFileAsync(string directory, ManifestFile file, CancellationToken cancellationToken)
    {
        string path;
        try
        {
            path = CheckpointPaths.Resolve(directory, file.Path, "");
        }
        catch (CheckpointException)
        {
            return "is (or passes through) a symbolic link";
        }
        if (Directory.Exists(path)) return "is a folder, the manifest lists a file";
        if (!File.Exists(path)) return "missing";
        await using var stream = PosixFiles.OpenRegularForRead(path);
        if (stream is null) return "not a regular file";
        if (stream.Length != file.Size) return $"size {stream.Length}, the manifest lists {file.Size}";
        var sha = await FileDigest.ComputeAsync(stream, file.Size, cancellationToken);
        return sha == file.Sha256 ? null : $"checksum mismatch (sha256 {sha?[..12] ?? "?"}..., the manifest lists {file.Sha256[..12]}...)";
    }

    private static void FlushTree(string directory)
    {
        foreach (var folder in Directory.EnumerateDirectories(directory, "*", SearchOption.AllDirectories)) PosixFiles.FlushDirectory(folder);
        PosixFiles.FlushDirectory(directory);
    }

    private static void DeleteEntry(string path)
    {
        if (Directory.Exists(path) && !CheckpointPaths.IsLink(path)) Directory.Delete(path, recursive: true);
        else File.Delete(path);
    }
}
