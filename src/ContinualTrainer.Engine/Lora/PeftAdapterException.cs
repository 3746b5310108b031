namespace ContinualTrainer.Engine.Lora;

/// <summary>
/// A saved PEFT LoRA adapter cannot be loaded into this model: a malformed or unsupported adapter_config.json,
/// or tensors that are missing, extra or of the wrong shape. The message is one line naming the file and the key.
/// </summary>
public sealed class PeftAdapterException : Exception
{
    public PeftAdapterException(string path, string problem)
        : base($"{path}: {problem}".ReplaceLineEndings(" "))
    {
        FilePath = path;
    }

    /// <summary>The file the problem was found in.</summary>
    public string FilePath { get; }
}
