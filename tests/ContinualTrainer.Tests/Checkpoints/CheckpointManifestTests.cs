using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using ContinualTrainer.Checkpoints;
using ContinualTrainer.Tests.Support;

namespace ContinualTrainer.Tests.Checkpoints;

public sealed class CheckpointManifestTests
{
    private static readonly string ShaA = new('a', 64);
    private static readonly string ShaB = new('b', 64);

    private static CheckpointManifest Sample() => new()
    {
        Version = "v3",
        Parent = "v2",
        Kind = CheckpointKind.Lora,
        RunId = "run-42",
        DatasetSnapshotId = "snap-9",
        ConfigHash = "cfg",
        EvaluationBefore = new CheckpointEvaluation { GeneralPerplexity = 12.5 },
        EvaluationAfter = new CheckpointEvaluation
        {
            GeneralPerplexity = 12.25,
            Metrics = ImmutableSortedDictionary<string, double>.Empty.Add("z_last", 1).Add("a_first", 2),
        },
        GuardDecision = "accept",
        CreatedUtc = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero),
        EngineVersion = "0.1.0.0",
        Files = [new ManifestFile("merged/model.safetensors", 10, ShaB), new ManifestFile("adapter_config.json", 5, ShaA)],
    };

    private static string Json(CheckpointManifest manifest) => Encoding.UTF8.GetString(manifest.ToJson());

    [Fact]
    public void Writes_snake_case_members_in_a_fixed_order_with_files_sorted()
    {
        using var document = JsonDocument.Parse(Sample().ToJson());
        Assert.Equal(
            ["format", "version", "parent", "kind", "run_id", "dataset_snapshot_id", "config_hash", "evaluation_before", "evaluation_after",
             "guard_decision", "source", "created_utc", "engine_version", "files"],
            document.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["adapter_config.json", "merged/model.safetensors"], document.RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()));
        Assert.Equal(["a_first", "z_last"], document.RootElement.GetProperty("evaluation_after").GetProperty("metrics").EnumerateObject().Select(p => p.Name));
        Assert.Equal("lora", document.RootElement.GetProperty("kind").GetString());
        Assert.Equal(Json(Sample()), Json(Sample()));
    }

    [Fact]
    public void Round_trips_through_its_own_json()
    {
        var parsed = CheckpointManifest.Parse(Sample().ToJson(), "test");
        Assert.Equal(Json(Sample()), Json(parsed));
        Assert.Equal(3, parsed.Number);
        Assert.Equal(15, parsed.TotalBytes);
        Assert.True(parsed.SelfContained);
        Assert.False((parsed with { Files = [new ManifestFile("adapter_model.safetensors", 1, ShaA)] }).SelfContained);
    }

    [Theory]
    [InlineData("\"format\": 1,", "\"format\": 2,", "format 2 is not supported")]
    [InlineData("\"guard_decision\": \"accept\",", "\"guard_decision\": \"accept\", \"pickle\": \"x\",", "not a valid manifest")]
    [InlineData("\"run_id\": \"run-42\",", "\"run_id\": \"run-42\", \"run_id\": \"again\",", "not a valid manifest")]
    [InlineData("\"kind\": \"lora\"", "\"kind\": 2", "not a valid manifest")]
    [InlineData("\"version\": \"v3\"", "\"version\": \"v03\"", "'v03' is not a version name")]
    [InlineData("\"parent\": \"v2\"", "\"parent\": \"v3\"", "parent v3 is not older than v3")]
    [InlineData("\"parent\": \"v2\"", "\"parent\": null", "'' is not a version name")]
    [InlineData("\"kind\": \"lora\"", "\"kind\": \"base\"", "kind base is only allowed for v0")]
    [InlineData("\"size\": 5", "\"size\": -5", "negative size")]
    [InlineData("\"general_perplexity\": 12.25", "\"general_perplexity\": 0.5", "is not a perplexity")]
    [InlineData("\"path\": \"adapter_config.json\"", "\"path\": \"merged/model.safetensors\"", "twice")]
    [InlineData("\"path\": \"adapter_config.json\"", "\"path\": \"merged\"", "listed as a file and as a folder")]
    [InlineData("\"path\": \"adapter_config.json\"", "\"path\": \"manifest.json\"", "the manifest's own name")]
    public void Refuses_manifests_that_break_a_rule(string from, string to, string expected)
    {
        var json = Json(Sample());
        Assert.Contains(from, json);
        var error = Assert.Throws<CheckpointException>(() => CheckpointManifest.Parse(Encoding.UTF8.GetBytes(json.Replace(from, to)), "v3/manifest.json"));
        Assert.StartsWith("v3/manifest.json", error.Message);
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("merged/../../x")]
    [InlineData(".hidden")]
    [InlineData("-rf")]
    [InlineData("a\\\\b")]
    [InlineData("a b")]
    [InlineData("a//b")]
    public void Refuses_file_names_that_could_leave_the_version_directory(string name)
    {
        var json = Json(Sample()).Replace("\"path\": \"adapter_config.json\"", $"\"path\": \"{name}\"");
        var error = Assert.Throws<CheckpointException>(() => CheckpointManifest.Parse(Encoding.UTF8.GetBytes(json), "v3/manifest.json"));
        Assert.Contains("refused", error.Message);
    }

    [Fact]
    public void Refuses_malformed_checksums()
    {
        var json = Json(Sample()).Replace(ShaA, ShaA.ToUpperInvariant());
        var error = Assert.Throws<CheckpointException>(() => CheckpointManifest.Parse(Encoding.UTF8.GetBytes(json), "m"));
        Assert.Contains("malformed sha256", error.Message);
    }

    [Fact]
    public void Refuses_a_manifest_larger_than_the_limit_before_parsing_it()
    {
        var error = Assert.Throws<CheckpointException>(() => CheckpointManifest.Parse(new byte[CheckpointManifest.MaxBytes + 1], "m"));
        Assert.Contains("limit for a manifest", error.Message);
    }

    [ToolFact("sha256sum")]
    public async Task Checksums_agree_with_sha256sum()
    {
        using var dir = new TempDir();
        var harness = await CheckpointHarness.CreateAsync(dir);
        await harness.RegisterBaseAsync();
        var v0 = harness.Local.VersionDirectory(0);
        var manifest = CheckpointManifest.Parse(File.ReadAllBytes(Path.Combine(v0, "manifest.json")), "v0");
        var sums = string.Concat(manifest.Files.Select(f => $"{f.Sha256}  {f.Path}\n"));
        File.WriteAllText(dir.File("files.sha256"), sums);

        foreach (var list in new[] { Path.Combine(v0, "manifest.sha256"), dir.File("files.sha256") })
        {
            var info = new ProcessStartInfo("sha256sum", ["--check", "--strict", list]) { WorkingDirectory = v0, RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(info)!;
            var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, output);
        }
    }
}
