namespace ContinualTrainer.Engine.Lora;

/// <summary>The projections of a decoder layer that can carry a LoRA adapter (PEFT's target_modules).</summary>
[Flags]
public enum LoraTargets
{
    None = 0,
    Q = 1,
    K = 2,
    V = 4,
    O = 8,
    Gate = 16,
    Up = 32,
    Down = 64,

    /// <summary>Every attention and MLP projection: q, k, v, o, gate, up, down.</summary>
    All = Q | K | V | O | Gate | Up | Down,
}
