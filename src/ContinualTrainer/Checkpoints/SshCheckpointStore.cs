using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using ContinualTrainer.Configuration;

namespace ContinualTrainer.Checkpoints;

/// <summary>
/// The remote store: a folder on a storage host reached with the system OpenSSH client — <c>ssh</c> for small
/// POSIX shell scripts fed on stdin to <c>sh -s</c>, <c>rsync</c> over the same ssh options for file transfers.
/// Key authentication only (BatchMode), strict host key checking against the configured known_hosts file,
/// connect and keep-alive timeouts so a dead host fails instead of hanging. Every value placed in a script is a
/// validated version or incoming-folder name, or the configured path, and is single-quoted besides.
/// Layout on the host: <c>PATH/vN</c>, <c>PATH/current</c>, and <c>PATH/.incoming/</c> for uploads in progress.
/// </summary>
public sealed partial class SshCheckpointStore(CheckpointsSshOptions options)
{
    private const string IncomingFolder = ".incoming";
    private const string PartialFolder = ".rsync-partial";

    public CheckpointsSshOptions Options => options;

    /// <summary><c>user@host:port/path</c>, for messages.</summary>
    public string Description => $"{options.User}@{options.Host}:{options.Port.ToString(CultureInfo.InvariantCulture)}{options.Path}";

    /// <summary>A fresh name for an upload's folder under <c>.incoming</c>: <c>vN.</c> and 16 hex digits.</summary>
    public static string NewIncomingName(int version) => $"{VersionName.Format(version)}.{RandomNumberGenerator.GetHexString(16, lowercase: true)}";

    /// <summary>Lists a version directory (or null when it does not exist) with the SHA-256 of every file, computed on the host.</summary>
    public Task<RemoteTree?> ListVersionAsync(int version, CancellationToken cancellationToken) =>
        ListAsync(VersionName.Format(version), cancellationToken);

    /// <summary>
    /// Readies the upload of <paramref name="version"/>: deletes leftovers of other attempts, and checks an existing
    /// <c>PATH/vN</c> against <paramref name="manifest"/> with <c>sha256sum --check</c> on the host — true when it
    /// is complete and intact (nothing to upload); a damaged one is deleted. Otherwise creates the upload folder.
    /// </summary>
    public async Task<bool> PrepareUploadAsync(int version, string incoming, CheckpointManifest manifest, string manifestSha256, CancellationToken cancellationToken)
    {
        var name = VersionName.Format(version);
        var aside = NewIncomingName(version) + "-damaged";
        var output = await RunScriptAsync($$"""
            set -u
            root={{ShellQuote.Quote(options.Path)}}
            keep={{ShellQuote.Quote(CheckIncoming(incoming))}}
            {{VerifyFunction(manifest, manifestSha256)}}
            mkdir -p -- "$root/{{IncomingFolder}}" || exit 3
            for e in "$root/{{IncomingFolder}}/"{{name}}.*; do
              if [ -e "$e" ] || [ -L "$e" ]; then [ "${e##*/}" = "$keep" ] || rm -rf -- "$e" || exit 3; fi
            done
            if [ -e "$root/{{name}}" ] || [ -L "$root/{{name}}" ]; then
              if [ ! -L "$root/{{name}}" ] && verify_dir "$root/{{name}}" > /dev/null; then echo present; exit 0; fi
              mv -T -- "$root/{{name}}" "$root/{{IncomingFolder}}/{{aside}}" && rm -rf -- "$root/{{IncomingFolder}}/{{aside}}" || exit 3
            fi
            mkdir -p -- "$root/{{IncomingFolder}}/$keep" || exit 3
            echo ready
            """, $"preparing the upload of {name}", cancellationToken);
        return output.Trim() == "present";
    }

    /// <summary>
    /// rsync of <paramref name="localDirectory"/> into the upload folder: regular files and times only (no links,
    /// no owners; permissions from the host's umask), resuming a previous attempt's partial files, deleting strays.
    /// </summary>
    public Task UploadAsync(string localDirectory, string incoming, CancellationToken cancellationToken)
    {
        var arguments = new List<string> { "--recursive", "--times", "--delete", "--partial-dir=" + PartialFolder };
        arguments.AddRange(RsyncCommonArguments());
        if (options.BandwidthLimitKiBps > 0) arguments.Add("--bwlimit=" + options.BandwidthLimitKiBps.ToString(CultureInfo.InvariantCulture));
        arguments.Add(Path.TrimEndingDirectorySeparator(localDirectory) + "/");
        arguments.Add($"{options.Host}:{options.Path}/{IncomingFolder}/{CheckIncoming(incoming)}/");
        return RunRsyncAsync(arguments, $"uploading {VersionName.Printable(incoming)}", cancellationToken);
    }

    /// <summary>
    /// Verifies the upload folder on the host (<c>sha256sum --check</c> of every file, no other file, no link),
    /// flushes it to disk, renames it to <c>PATH/vN</c> and, when <paramref name="makeCurrent"/>, points the
    /// host's <c>current</c> at it (temp file, flush, rename). Returns null on success, or why the upload did not
    /// verify — the folder is then deleted, and the next attempt starts afresh.
    /// </summary>
    public async Task<string?> FinishUploadAsync(int version, string incoming, CheckpointManifest manifest, string manifestSha256, bool makeCurrent, CancellationToken cancellationToken)
    {
        var name = VersionName.Format(version);
        var current = makeCurrent ? SetCurrentCommands(version) : "";
        var result = await RunScriptResultAsync($$"""
            set -u
            root={{ShellQuote.Quote(options.Path)}}
            src="$root/{{IncomingFolder}}/"{{ShellQuote.Quote(CheckIncoming(incoming))}}
            {{VerifyFunction(manifest, manifestSha256)}}
            [ -d "$src" ] && [ ! -L "$src" ] || { echo "the upload folder is missing"; exit 4; }
            rmdir -- "$src/{{PartialFolder}}" 2> /dev/null
            why=$(verify_dir "$src") || { rm -rf -- "$src"; echo "$why"; exit 4; }
            find "$src" -type f -exec sync -- {} + && sync -- "$src" || exit 3
            if [ -e "$root/{{name}}" ] || [ -L "$root/{{name}}" ]; then echo "{{name}} already exists on the storage host" >&2; exit 3; fi
            mv -T -- "$src" "$root/{{name}}" && sync -- "$root" || exit 3
            {{current}}
            """, $"finishing the upload of {name}", cancellationToken);
        return result.ExitCode == 4 ? VersionName.Printable(result.Stdout.Trim()) : null;
    }

    /// <summary>Deletes <c>PATH/vN</c> (renamed under <c>.incoming</c> first, so it vanishes at once); refused while the host's <c>current</c> names it.</summary>
    public Task DeleteVersionAsync(int version, CancellationToken cancellationToken)
    {
        var name = VersionName.Format(version);
        var aside = NewIncomingName(version) + "-deleted";
        return RunScriptAsync($"""
            set -eu
            root={ShellQuote.Quote(options.Path)}
            cur=$(head -c 32 -- "$root/current" 2>/dev/null || true)
            if [ "$cur" = "{name}" ]; then echo "{name} is the storage host's current version" >&2; exit 3; fi
            if [ -e "$root/{name}" ] || [ -L "$root/{name}" ]; then
              mkdir -p -- "$root/{IncomingFolder}"
              mv -T -- "$root/{name}" "$root/{IncomingFolder}/{aside}"
              rm -rf -- "$root/{IncomingFolder}/{aside}"
            fi
            """, $"deleting {name}", cancellationToken);
    }

    /// <summary>Points the host's <c>current</c> at <paramref name="version"/> (which must be there): temp file, flush, rename, flush.</summary>
    public Task SetCurrentAsync(int version, CancellationToken cancellationToken)
    {
        var name = VersionName.Format(version);
        return RunScriptAsync($"""
            set -u
            root={ShellQuote.Quote(options.Path)}
            if [ -L "$root/{name}" ] || [ ! -f "$root/{name}/{CheckpointPaths.ManifestFileName}" ]; then echo "{name} is not on the storage host" >&2; exit 3; fi
            {SetCurrentCommands(version)}
            """, $"pointing current at {name}", cancellationToken);
    }

    /// <summary>Copies one file of a version from the host to <paramref name="localPath"/> (the caller verifies it).</summary>
    public Task FetchFileAsync(int version, string relativePath, string localPath, CancellationToken cancellationToken)
    {
        CheckpointPaths.Validate(relativePath, $"{Description}/{VersionName.Format(version)}");
        var arguments = new List<string> { "--times" };
        arguments.AddRange(RsyncCommonArguments());
        arguments.Add($"{options.Host}:{options.Path}/{VersionName.Format(version)}/{relativePath}");
        arguments.Add(localPath);
        return RunRsyncAsync(arguments, $"fetching {VersionName.Format(version)}/{relativePath}", cancellationToken);
    }

    /// <summary>Copies a whole version directory from the host into <paramref name="localDirectory"/> (regular files only; the caller verifies it).</summary>
    public Task FetchVersionAsync(int version, string localDirectory, CancellationToken cancellationToken)
    {
        var arguments = new List<string> { "--recursive", "--times" };
        arguments.AddRange(RsyncCommonArguments());
        arguments.Add($"{options.Host}:{options.Path}/{VersionName.Format(version)}/");
        arguments.Add(Path.TrimEndingDirectorySeparator(localDirectory) + "/");
        return RunRsyncAsync(arguments, $"fetching {VersionName.Format(version)}", cancellationToken);
    }

    /// <summary>The ssh options every connection uses (also handed to rsync's <c>-e</c>).</summary>
    public IReadOnlyList<string> SshArguments()
    {
        var alive = Math.Max(1, (int)(options.IoTimeout.TotalSeconds / 4));
        return
        [
            "-F", "none",
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes",
            "-o", $"UserKnownHostsFile=\"{options.KnownHostsFile}\"",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "UpdateHostKeys=no",
            "-o", "IdentitiesOnly=yes",
            "-o", $"IdentityFile=\"{options.IdentityFile}\"",
            "-o", "PasswordAuthentication=no",
            "-o", "KbdInteractiveAuthentication=no",
            "-o", "ConnectTimeout=" + Math.Max(1, (int)options.ConnectTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            "-o", "ServerAliveInterval=" + alive.ToString(CultureInfo.InvariantCulture),
            "-o", "ServerAliveCountMax=4",
            "-o", "LogLevel=ERROR",
            "-p", options.Port.ToString(CultureInfo.InvariantCulture),
            "-l", options.User,
        ];
    }

    private async Task<RemoteTree?> ListAsync(string relativeDirectory, CancellationToken cancellationToken)
    {
        var output = await RunScriptAsync($$"""
            set -u
            d={{ShellQuote.Quote(options.Path)}}/{{ShellQuote.Quote(relativeDirectory)}}
            if [ -L "$d" ]; then echo link; exit 0; fi
            if [ ! -d "$d" ]; then echo missing; exit 0; fi
            cd -- "$d" || exit 3
            echo present
            find . -mindepth 1 ! -type d ! -type f -printf 'other %P\n' || exit 3
            find . -type f -exec sha256sum -- {} + || exit 3
            """, $"listing {relativeDirectory}", cancellationToken);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0) throw new CheckpointException($"storage host {Description}: listing {relativeDirectory} printed nothing");
        switch (lines[0])
        {
            case "missing": return null;
            case "link": return new RemoteTree(new Dictionary<string, string>(), [new FileProblem(".", "the version directory is a symbolic link")]);
            case "present": break;
            default: throw new CheckpointException($"storage host {Description}: listing {relativeDirectory} printed '{VersionName.Printable(lines[0])}'");
        }
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        var refused = new List<FileProblem>();
        foreach (var line in lines.Skip(1))
        {
            if (line.StartsWith("other ", StringComparison.Ordinal))
            {
                refused.Add(new FileProblem(VersionName.Printable(line[6..]), "is a symbolic link or special file"));
                continue;
            }
            var match = ListingLine().Match(line);
            if (!match.Success)
            {
                refused.Add(new FileProblem("?", $"unreadable listing line '{VersionName.Printable(line)}' (a file name with special characters)"));
                continue;
            }
            var path = match.Groups[2].Value;
            if (CheckpointPaths.Problem(path) is { } problem) refused.Add(new FileProblem(VersionName.Printable(path), problem));
            else hashes[path] = match.Groups[1].Value;
        }
        return new RemoteTree(hashes, refused);
    }

    private IEnumerable<string> RsyncCommonArguments()
    {
        yield return "--timeout=" + Math.Max(1, (int)options.IoTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        // rsync splits -e itself (quotes respected, no shell); the configured paths contain no quotes.
        yield return "-e";
        yield return "ssh " + string.Join(' ', SshArguments().Select(a => "'" + a + "'"));
    }

    /// <summary>
    /// A shell function <c>verify_dir DIR</c> for the scripts: succeeds when DIR holds exactly the manifest's files
    /// (plus the manifest and its checksum), all regular, every SHA-256 matching; otherwise prints why and fails.
    /// The checksum list is a quoted here-document of validated names, so nothing in it is expanded.
    /// </summary>
    private static string VerifyFunction(CheckpointManifest manifest, string manifestSha256)
    {
        var sums = manifest.Files.Select(f => (f.Path, f.Sha256))
            .Append((CheckpointPaths.ManifestFileName, manifestSha256))
            .Append((CheckpointPaths.ManifestChecksumFileName, FileDigest.Sha256(Encoding.UTF8.GetBytes(CheckpointManifest.ChecksumLine(manifestSha256)))))
            .Select(e => $"{e.Item2}  {e.Item1}").Order(StringComparer.Ordinal).ToList();
        var count = sums.Count.ToString(CultureInfo.InvariantCulture);
        return $$"""
            verify_dir() {
              ( cd -- "$1" || { echo "cannot enter the folder"; exit 1; }
                other=$(find . -mindepth 1 ! -type d ! -type f -print | head -n 1)
                [ -z "$other" ] || { echo "$other is a symbolic link or special file"; exit 1; }
                out=$(sha256sum --check --strict --quiet 2>&1 <<'SUMS'
            {{string.Join("\n", sums)}}
            SUMS
            ) || { printf '%s' "$out" | head -n 3 | tr '\n' ' '; exit 1; }
                n=$(find . -type f | wc -l)
                [ "$n" -eq {{count}} ] || { echo "$n files where the manifest lists {{count}}"; exit 1; }
              )
            }
            """;
    }

    /// <summary>Commands replacing <c>$root/current</c> with one naming <paramref name="version"/>: temp file, flush, rename, flush.</summary>
    private static string SetCurrentCommands(int version)
    {
        var temp = ".current.tmp-" + RandomNumberGenerator.GetHexString(12, lowercase: true);
        return $"""
            printf '%s\n' {VersionName.Format(version)} > "$root/{temp}" && sync -- "$root/{temp}" && mv -f -T -- "$root/{temp}" "$root/current" && sync -- "$root" || exit 3
            """;
    }

    private async Task<string> RunScriptAsync(string script, string what, CancellationToken cancellationToken) =>
        (await RunScriptResultAsync(script, what, cancellationToken)).Stdout;

    /// <summary>Runs a script on the host; exit 0 and 4 (the scripts' "did not verify") are returned, others thrown.</summary>
    private async Task<ChildProcessResult> RunScriptResultAsync(string script, string what, CancellationToken cancellationToken)
    {
        var arguments = new List<string>(SshArguments()) { "--", options.Host, "sh -s" };
        var result = await ChildProcess.RunAsync("ssh", arguments, script + "\n", cancellationToken);
        return result.ExitCode switch
        {
            0 or 4 => result,
            255 => throw new CheckpointException($"storage host {Description} unreachable while {what}: {result.Reason()}", hostUnreachable: true),
            _ => throw new CheckpointException($"storage host {Description}: {what} failed: {result.Reason()}"),
        };
    }

    private async Task RunRsyncAsync(IReadOnlyList<string> arguments, string what, CancellationToken cancellationToken)
    {
        var result = await ChildProcess.RunAsync("rsync", arguments, null, cancellationToken);
        // 10 socket I/O, 12 data stream, 30 I/O timeout, 35 connect timeout, 255 ssh: the link, not the data.
        if (result.ExitCode != 0)
            throw new CheckpointException($"storage host {Description}: {what} failed (rsync exit {result.ExitCode.ToString(CultureInfo.InvariantCulture)}): {result.Reason()}",
                hostUnreachable: result.ExitCode is 10 or 12 or 30 or 35 or 255);
    }

    private static string CheckIncoming(string incoming) =>
        IncomingName().IsMatch(incoming) ? incoming : throw new ArgumentException($"'{VersionName.Printable(incoming)}' is not an incoming folder name", nameof(incoming));

    [GeneratedRegex("^([0-9a-f]{64})  \\./(.+)$")]
    private static partial Regex ListingLine();

    [GeneratedRegex("^v(0|[1-9][0-9]{0,8})\\.[0-9a-f]{16}$")]
    private static partial Regex IncomingName();
}
