using ContinualTrainer.Checkpoints;
using ContinualTrainer.Engine.IO;
using ContinualTrainer.Engine.Lora;
using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Training;

/// <summary>
/// Turns model versions into weights and back: loads a verified version (a full model, or a LoRA adapter merged
/// into its parent) into float32, and writes a trained model or adapter into a staging directory in the layout
/// the checkpoint store keeps (Hugging Face weights with the base's configuration and tokenizer files, or PEFT).
/// </summary>
public static class ModelFiles
{
    /// <summary>Files copied from the model a run started from, next to new full weights (never weights or code).</summary>
    public static readonly string[] CompanionFiles =
    [
        "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "vocab.json", "merges.txt", "added_tokens.json",
    ];

    /// <summary>The float32 weights of <paramref name="version"/>; a LoRA adapter is merged into its parent's weights.</summary>
    public static TransformerModel Load(LoadedVersion version) => Load(version.Directory, version.Manifest.Kind, version.Parent);

    /// <summary>The weights in <paramref name="directory"/> of <paramref name="kind"/> (a LoRA adapter stacks on <paramref name="parent"/>).</summary>
    public static TransformerModel Load(string directory, CheckpointKind kind, LoadedVersion? parent)
    {
        if (kind != CheckpointKind.Lora) return TransformerModel.Load(directory);
        var merged = Path.Combine(directory, CheckpointFiles.MergedFolder);
        if (Directory.Exists(merged)) return TransformerModel.Load(merged);
        if (parent is null) throw new CheckpointException($"{directory}: a LoRA adapter without merged weights needs its parent version");
        var model = Load(parent);
        try
        {
            using var adapters = PeftAdapter.Load(directory, model.Config);
            adapters.Merge(model.Parameters);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The directory holding a version's configuration and tokenizer files (its own, its merged folder, or its parent's).</summary>
    public static string ConfigurationDirectory(LoadedVersion version) =>
        version.Manifest.Kind != CheckpointKind.Lora ? version.Directory
        : Directory.Exists(Path.Combine(version.Directory, CheckpointFiles.MergedFolder)) ? Path.Combine(version.Directory, CheckpointFiles.MergedFolder)
        : ConfigurationDirectory(version.Parent ?? throw new CheckpointException($"{version.Directory}: a LoRA adapter without its parent"));

    /// <summary>
    /// Writes every parameter of <paramref name="model"/> as <c>model.safetensors</c> (<paramref name="dtype"/> F32 or
    /// BF16; a tied lm_head is not stored) plus the companion files of <paramref name="configurationDirectory"/>.
    /// </summary>
    public static void SaveFull(TransformerModel model, string configurationDirectory, string targetDirectory, SafeTensorDType dtype)
    {
        Directory.CreateDirectory(targetDirectory);
        var tensors = model.Parameters.Tensors.Select(t => new SafeTensorToWrite(t.Name, dtype, [.. t.Shape], t.Span.ToArray()));
        SafeTensorsWriter.Write(Path.Combine(targetDirectory, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        foreach (var name in CompanionFiles)
        {
            var source = Path.Combine(configurationDirectory, name);
            if (File.Exists(source)) File.Copy(source, Path.Combine(targetDirectory, name), overwrite: true);
        }
    }

    /// <summary>Writes the adapters in PEFT layout, and with <paramref name="mergedWeights"/> the merged model under <c>merged/</c>.</summary>
    public static void SaveLora(LoraAdapters adapters, TransformerModel? mergedWeights, string configurationDirectory, string targetDirectory, SafeTensorDType dtype)
    {
        Directory.CreateDirectory(targetDirectory);
        PeftAdapter.Save(adapters, targetDirectory);
        if (mergedWeights is not null) SaveFull(mergedWeights, configurationDirectory, Path.Combine(targetDirectory, CheckpointFiles.MergedFolder), dtype);
    }
}
