using ContinualTrainer.Engine.Tokenization;

namespace ContinualTrainer.Dataset.Rendering;

/// <summary>Picks the chat format of a tokenizer and makes its <see cref="IChatRenderer"/>.</summary>
public static class ChatRenderers
{
    /// <summary>
    /// The format a tokenizer's model was trained with: the chat template decides when it names
    /// <c>&lt;|im_start|&gt;</c> (ChatML) or <c>&lt;|start_header_id|&gt;</c> (Llama 3); otherwise the special tokens
    /// do; a tokenizer with neither gets <see cref="ChatFormat.Plain"/>.
    /// </summary>
    public static ChatFormat Detect(BpeTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (tokenizer.ChatTemplate is { } template)
        {
            if (template.Contains(ChatMlRenderer.ImStart, StringComparison.Ordinal)) return ChatFormat.ChatMl;
            if (template.Contains(Llama3Renderer.StartHeader, StringComparison.Ordinal)) return ChatFormat.Llama3;
        }
        if (SingleToken(tokenizer, ChatMlRenderer.ImStart) is not null && SingleToken(tokenizer, ChatMlRenderer.ImEnd) is not null)
            return ChatFormat.ChatMl;
        if (SingleToken(tokenizer, Llama3Renderer.StartHeader) is not null && SingleToken(tokenizer, Llama3Renderer.EotId) is not null)
            return ChatFormat.Llama3;
        return ChatFormat.Plain;
    }

    /// <summary>The renderer for <paramref name="requested"/>, or for the detected format when null.</summary>
    /// <exception cref="DatasetException">The tokenizer lacks a token the format needs.</exception>
    public static IChatRenderer Create(BpeTokenizer tokenizer, ChatFormat? requested)
    {
        var format = requested ?? Detect(tokenizer);
        switch (format)
        {
            case ChatFormat.ChatMl:
                Require(tokenizer, ChatMlRenderer.ImStart, format);
                var imEnd = Require(tokenizer, ChatMlRenderer.ImEnd, format);
                var thinking = tokenizer.ChatTemplate?.Contains("<think>", StringComparison.Ordinal) ?? false;
                return new ChatMlRenderer(imEnd, thinking);
            case ChatFormat.Llama3:
                Require(tokenizer, Llama3Renderer.StartHeader, format);
                Require(tokenizer, Llama3Renderer.EndHeader, format);
                var eot = Require(tokenizer, Llama3Renderer.EotId, format);
                var bos = tokenizer.Special.BosToken is { } named && SingleToken(tokenizer, named) is not null
                    ? named
                    : SingleToken(tokenizer, "<|begin_of_text|>") is not null ? "<|begin_of_text|>" : "";
                return new Llama3Renderer(bos, eot);
            default:
                if (tokenizer.Special.EosToken is not { } eos || SingleToken(tokenizer, eos) is not { } eosId)
                    throw new DatasetException(
                        "the tokenizer has no EOS token to end an assistant turn in the plain chat format (and neither ChatML's nor Llama 3's tokens); "
                        + "give it an eos_token in tokenizer_config.json or set Dataset:ChatFormat");
                return new PlainRenderer(eos, eosId);
        }
    }

    private static int Require(BpeTokenizer tokenizer, string token, ChatFormat format) =>
        SingleToken(tokenizer, token)
        ?? throw new DatasetException($"the tokenizer has no {token} token, which the {format.ToName()} chat format needs; set Dataset:ChatFormat to a format it supports");

    /// <summary>The id of <paramref name="token"/> when the tokenizer encodes its text as that one token.</summary>
    private static int? SingleToken(BpeTokenizer tokenizer, string token)
    {
        if (tokenizer.TokenToId(token) is not { } id) return null;
        var ids = tokenizer.Encode(token);
        return ids.Length == 1 && ids[0] == id ? id : null;
    }
}
