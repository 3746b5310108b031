namespace ContinualTrainer.Configuration;

/// <summary>Section <c>Model</c>: which base model the daemon trains.</summary>
public sealed record ModelOptions
{
    /// <summary>
    /// <c>Model:Base</c>: a Hugging Face model directory (config.json, tokenizer.json, *.safetensors). When it is
    /// not set: the model <c>continual-trainer init</c> pre-trained (<see cref="PathsOptions.BaseModel"/>) once its
    /// config.json is there, else null: no model yet — ingestion still stores conversations, training waits.
    /// </summary>
    public string? Base { get; init; }

    public static ModelOptions Read(SettingsReader reader, PathsOptions paths)
    {
        var path = reader.GetString("Model:Base");
        if (path is null)
            return new ModelOptions { Base = File.Exists(Path.Combine(paths.BaseModel, "config.json")) ? paths.BaseModel : null };
        if (!Directory.Exists(path))
            throw SettingsReader.Invalid("Model:Base", path, "an existing Hugging Face model directory (config.json, tokenizer.json, model.safetensors)");
        return new ModelOptions { Base = Path.GetFullPath(path) };
    }
}
