namespace ContinualTrainer.Checkpoints;

/// <summary>A version directory on the storage host as listed there: the SHA-256 of every regular file and the entries refused (links, special files, bad names).</summary>
public sealed record RemoteTree(IReadOnlyDictionary<string, string> Sha256ByPath, IReadOnlyList<FileProblem> Refused)
{
    /// <summary>
    /// Compares the listing with the manifest it should hold (whose own SHA-256 is <paramref name="manifestSha256"/>):
    /// every listed file present with its checksum, the manifest and its checksum file intact, nothing else there.
    /// </summary>
    public VersionCheck Check(int version, CheckpointManifest manifest, string manifestSha256)
    {
        var problems = new List<FileProblem>(Refused);
        var expected = manifest.Files.ToDictionary(f => f.Path, f => f.Sha256, StringComparer.Ordinal);
        expected[CheckpointPaths.ManifestFileName] = manifestSha256;
        expected[CheckpointPaths.ManifestChecksumFileName] = FileDigest.Sha256(System.Text.Encoding.UTF8.GetBytes(CheckpointManifest.ChecksumLine(manifestSha256)));
        foreach (var (path, sha) in expected.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!Sha256ByPath.TryGetValue(path, out var actual)) problems.Add(new FileProblem(path, "missing"));
            else if (actual != sha) problems.Add(new FileProblem(path, $"checksum mismatch (sha256 {actual[..12]}..., expected {sha[..12]}...)"));
        }
        problems.AddRange(Sha256ByPath.Keys.Where(p => !expected.ContainsKey(p)).Order(StringComparer.Ordinal).Select(p => new FileProblem(p, "not listed in the manifest")));
        return new VersionCheck(version, VersionCheck.SshStore, manifest, problems);
    }
}
