namespace ContinualTrainer.Checkpoints;

/// <summary>What a version's files are.</summary>
public enum CheckpointKind
{
    /// <summary>v0: the base model as configured (<c>Model:Base</c>), copied in.</summary>
    Base,

    /// <summary>A full fine-tune: complete weights (BF16 or F32) in Hugging Face layout.</summary>
    Full,

    /// <summary>A LoRA run: the adapter in PEFT layout (<c>adapter_config.json</c>, <c>adapter_model.safetensors</c>), optionally the merged weights in <c>merged/</c>.</summary>
    Lora,
}
