using System.Text.Json;
using ContinualTrainer.Engine.IO;
using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Checkpoints;

/// <summary>
/// What the files of each kind of version must be, checked before a version is published. Model files are only
/// ever parsed as safetensors (header validated by <see cref="SafeTensorsFile"/>) or JSON: nothing is unpickled
/// or executed, and a base model's pickle or code files are simply not copied.
/// </summary>
public static class CheckpointFiles
{
    /// <summary>PEFT adapter files of a LoRA version.</summary>
    public const string AdapterConfig = "adapter_config.json";
    public const string AdapterWeights = "adapter_model.safetensors";

    /// <summary>The folder of a LoRA version holding the merged full weights (Hugging Face layout), when stored.</summary>
    public const string MergedFolder = "merged";

    private const long MaxJsonBytes = 256L << 20;

    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 128, AllowDuplicateProperties = false };

    /// <summary>
    /// Whether a top-level file of a Hugging Face model directory belongs in v0: configuration and tokenizer
    /// files (<c>*.json</c>, <c>*.txt</c>, <c>tokenizer.model</c>) and weights (<c>*.safetensors</c>); never
    /// pickles (<c>*.bin</c>, <c>*.pt</c>), code or anything else.
    /// </summary>
    public static bool BelongsToBaseModel(string fileName) =>
        CheckpointPaths.Problem(fileName) is null
        && (fileName.EndsWith(".json", StringComparison.Ordinal)
            || fileName.EndsWith(".safetensors", StringComparison.Ordinal)
            || fileName.EndsWith(".txt", StringComparison.Ordinal)
            || fileName == "tokenizer.model");

    /// <summary>
    /// Checks that <paramref name="files"/> (relative paths under <paramref name="directory"/>) make a version of
    /// <paramref name="kind"/>: every safetensors header and JSON file parses, a base or full model opens as a
    /// Hugging Face checkpoint consistent with its config, a LoRA version has its PEFT adapter (and, when a
    /// <c>merged/</c> folder is present, a complete model there).
    /// </summary>
    public static void Check(CheckpointKind kind, string directory, IReadOnlyCollection<string> files, string where)
    {
        foreach (var file in files)
        {
            var path = Path.Combine(directory, file);
            if (file.EndsWith(".safetensors", StringComparison.Ordinal)) CheckSafeTensors(path, where, file);
            else if (file.EndsWith(".json", StringComparison.Ordinal)) CheckJson(path, where, file);
        }
        switch (kind)
        {
            case CheckpointKind.Base or CheckpointKind.Full:
                CheckModel(directory, where);
                break;
            case CheckpointKind.Lora:
                foreach (var required in new[] { AdapterConfig, AdapterWeights })
                {
                    if (!files.Contains(required)) throw new CheckpointException($"{where}: a LoRA version needs {required} (PEFT layout); it is missing");
                }
                if (files.Any(f => f.StartsWith(MergedFolder + "/", StringComparison.Ordinal))) CheckModel(Path.Combine(directory, MergedFolder), where + "/" + MergedFolder);
                break;
        }
    }

    private static void CheckSafeTensors(string path, string where, string file)
    {
        try
        {
            using var _ = SafeTensorsFile.Open(path);
        }
        catch (SafeTensorsFormatException e)
        {
            throw new CheckpointException($"{where}: {file} is not a valid safetensors file: {e.Message}", e);
        }
    }

    private static void CheckJson(string path, string where, string file)
    {
        var length = new FileInfo(path).Length;
        if (length > MaxJsonBytes) throw new CheckpointException($"{where}: {file} is {length} bytes, more than the {MaxJsonBytes}-byte limit for a JSON file");
        try
        {
            using var _ = JsonDocument.Parse(File.ReadAllBytes(path), JsonOptions);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{where}: {file} is not valid JSON: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }

    private static void CheckModel(string directory, string where)
    {
        try
        {
            using var _ = HfCheckpoint.Open(directory);
        }
        catch (Exception e) when (e is HfCheckpointException or ModelConfigException or SafeTensorsFormatException or FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CheckpointException($"{where}: not a loadable model: {e.Message}", e);
        }
    }
}
