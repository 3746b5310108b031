namespace ContinualTrainer.Configuration;

/// <summary>Section <c>Model</c>: which base model the daemon trains.</summary>
public sealed record ModelOptions
{
    /// <summary>
    /// <c>Model:Base</c>: a Hugging Face model directory (config.json, tokenizer.json, *.safetensors).
    /// Null: no model yet — ingestion still stores conversations, training waits.
    /// </summary>
    public string? Base { get; init; }

    public static ModelOptions Read(SettingsReader reader)
    {
        var path = reader.GetString("Model:Base");
        if (path is not null && !Directory.Exists(path))
            throw SettingsReader.Invalid("Model:Base", path, "an existing Hugging Face model directory (config.json, tokenizer.json, model.safetensors)");
        return new ModelOptions { Base = path is null ? null : Path.GetFullPath(path) };
    }
}
