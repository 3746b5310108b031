namespace ContinualTrainer.Dataset.Rendering;

/// <summary>
/// How a model's chat template lays out a conversation, which decides how decision examples are rendered
/// and where the decision's tokens start and end.
/// </summary>
public enum ChatFormat
{
    /// <summary>ChatML (Qwen2, Qwen2.5, Qwen3): <c>&lt;|im_start|&gt;role\n...&lt;|im_end|&gt;\n</c>.</summary>
    ChatMl,

    /// <summary>Llama 3: <c>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\n...&lt;|eot_id|&gt;</c> after <c>&lt;|begin_of_text|&gt;</c>.</summary>
    Llama3,

    /// <summary>
    /// The fallback for tokenizers with neither format's tokens: <c>User: ...\n\n</c> / <c>Assistant: ...</c>
    /// lines, an assistant turn ended by the tokenizer's EOS token.
    /// </summary>
    Plain,
}
