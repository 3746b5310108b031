using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ContinualTrainer.Checkpoints;

/// <summary>
/// <c>manifest.json</c>: what a version is (its parent, the run, dataset snapshot and configuration it came
/// from, the evaluation before and after, the guard's decision, when and by which engine it was made) and the
/// size and SHA-256 of every other file in its directory. Written with snake_case names in a fixed order;
/// its own SHA-256 sits beside it in <c>manifest.sha256</c> (<c>sha256sum</c> format) and in the state database.
/// Reading is strict: unknown or duplicate members, bad names and malformed checksums are refused.
/// </summary>
public sealed record CheckpointManifest
{
    public const int CurrentFormat = 1;

    /// <summary>Manifests are a few kilobytes; anything this large is not one.</summary>
    public const int MaxBytes = 16 << 20;

    private const int MaxTextLength = 4096;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        AllowDuplicateProperties = false,
        MaxDepth = 16,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false) },
    };

    public int Format { get; init; } = CurrentFormat;
    public required string Version { get; init; }
    /// <summary>The version this one was trained from; null for v0.</summary>
    public string? Parent { get; init; }
    public required CheckpointKind Kind { get; init; }
    public string? RunId { get; init; }
    public string? DatasetSnapshotId { get; init; }
    /// <summary>Hash of the training configuration the run used.</summary>
    public string? ConfigHash { get; init; }
    public CheckpointEvaluation? EvaluationBefore { get; init; }
    public CheckpointEvaluation? EvaluationAfter { get; init; }
    public string? GuardDecision { get; init; }
    /// <summary>For v0: the model directory it was copied from.</summary>
    public string? Source { get; init; }
    public required DateTimeOffset CreatedUtc { get; init; }
    public required string EngineVersion { get; init; }
    /// <summary>Every file of the version except the manifest and its checksum, sorted by path (ordinal).</summary>
    public required IReadOnlyList<ManifestFile> Files { get; init; }

    [JsonIgnore]
    public int Number => VersionName.Parse(Version, "manifest");

    [JsonIgnore]
    public long TotalBytes => Files.Sum(f => f.Size);

    /// <summary>True when the version's own files make a whole model (everything but a LoRA adapter without merged weights).</summary>
    [JsonIgnore]
    public bool SelfContained => Kind != CheckpointKind.Lora || Files.Any(f => f.Path.StartsWith(CheckpointFiles.MergedFolder + "/", StringComparison.Ordinal));

    /// <summary>The manifest as UTF-8 JSON (indented, files sorted, trailing newline).</summary>
    public byte[] ToJson()
    {
        var sorted = this with { Files = [.. Files.OrderBy(f => f.Path, StringComparer.Ordinal)] };
        return Encoding.UTF8.GetBytes(JsonSerializer.Serialize(sorted, JsonOptions) + "\n");
    }

    /// <summary>The <c>manifest.sha256</c> line for manifest bytes with this checksum.</summary>
    public static string ChecksumLine(string sha256) => $"{sha256}  {CheckpointPaths.ManifestFileName}\n";

    /// <summary>The checksum in a <c>manifest.sha256</c> file's text; <see cref="CheckpointException"/> naming <paramref name="where"/> when malformed.</summary>
    public static string ParseChecksumLine(string text, string where)
    {
        var parts = text.TrimEnd('\n').Split("  ");
        if (parts.Length != 2 || !FileDigest.IsSha256(parts[0]) || parts[1] != CheckpointPaths.ManifestFileName || text.Count(c => c == '\n') > 1)
            throw new CheckpointException($"{where}: not a '<sha256>  {CheckpointPaths.ManifestFileName}' line");
        return parts[0];
    }

    /// <summary>Parses and validates manifest bytes; every problem is a <see cref="CheckpointException"/> naming <paramref name="where"/>.</summary>
    public static CheckpointManifest Parse(ReadOnlySpan<byte> json, string where)
    {
        if (json.Length > MaxBytes) throw new CheckpointException($"{where}: {json.Length} bytes, more than the {MaxBytes}-byte limit for a manifest");
        CheckpointManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<CheckpointManifest>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{where}: not a valid manifest: {e.Message.ReplaceLineEndings(" ")}");
        }
        if (manifest is null) throw new CheckpointException($"{where}: not a valid manifest: the document is null");
        manifest.Validate(where);
        return manifest;
    }

    /// <summary>Checks every field; <see cref="CheckpointException"/> naming <paramref name="where"/> and the field.</summary>
    public void Validate(string where)
    {
        if (Format != CurrentFormat) throw new CheckpointException($"{where}: format {Format} is not supported (this build reads format {CurrentFormat})");
        var number = VersionName.Parse(Version, where + ": version");
        if (Kind == CheckpointKind.Base)
        {
            if (number != 0) throw new CheckpointException($"{where}: kind base is only allowed for v0, not {Version}");
            if (Parent is not null) throw new CheckpointException($"{where}: v0 has no parent, found '{VersionName.Printable(Parent)}'");
        }
        else
        {
            var parent = VersionName.Parse(Parent, where + ": parent");
            if (parent >= number) throw new CheckpointException($"{where}: parent {Parent} is not older than {Version}");
        }
        foreach (var (field, value) in new[] { ("run_id", RunId), ("dataset_snapshot_id", DatasetSnapshotId), ("config_hash", ConfigHash), ("guard_decision", GuardDecision), ("source", Source), ("engine_version", EngineVersion) })
        {
            if (value is not null && (value.Length > MaxTextLength || value.Any(c => char.IsControl(c) && c != '\t')))
                throw new CheckpointException($"{where}: {field} is longer than {MaxTextLength} characters or has control characters");
        }
        foreach (var (field, evaluation) in new[] { ("evaluation_before", EvaluationBefore), ("evaluation_after", EvaluationAfter) })
        {
            if (evaluation?.Problem() is { } problem) throw new CheckpointException($"{where}: {field}: {problem}");
        }
        if (Files.Count == 0) throw new CheckpointException($"{where}: lists no files");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Files)
        {
            CheckpointPaths.Validate(file.Path, where);
            if (file.Path is CheckpointPaths.ManifestFileName or CheckpointPaths.ManifestChecksumFileName)
                throw new CheckpointException($"{where}: lists '{file.Path}', which is the manifest's own name");
            if (!seen.Add(file.Path)) throw new CheckpointException($"{where}: lists '{file.Path}' twice");
            if (file.Size < 0) throw new CheckpointException($"{where}: '{file.Path}' has a negative size {file.Size}");
            if (!FileDigest.IsSha256(file.Sha256)) throw new CheckpointException($"{where}: '{file.Path}' has a malformed sha256 (64 lowercase hex digits expected)");
        }
        foreach (var file in Files)
        {
            // "a" and "a/b" cannot both be files.
            for (var cut = file.Path.IndexOf('/'); cut > 0; cut = file.Path.IndexOf('/', cut + 1))
            {
                if (seen.Contains(file.Path[..cut])) throw new CheckpointException($"{where}: '{file.Path[..cut]}' is listed as a file and as a folder");
            }
        }
    }
}
