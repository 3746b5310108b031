using ContinualTrainer.Ingestion.Conversations;

namespace ContinualTrainer.Dataset.Rendering;

/// <summary>
/// Renders canonical messages the way one chat template does. A conversation is rendered turn by turn —
/// a turn is one message, or a run of consecutive tool messages — and each turn's text starts at a token
/// boundary, so turns can be tokenized separately and concatenated (<see cref="ExampleExtractor"/>).
/// </summary>
public interface IChatRenderer
{
    ChatFormat Format { get; }

    /// <summary>Text before the first turn (Llama 3's <c>&lt;|begin_of_text|&gt;</c>); empty for the others.</summary>
    string Prefix { get; }

    /// <summary>The token that ends an assistant turn, as text (<c>&lt;|im_end|&gt;</c>, <c>&lt;|eot_id|&gt;</c>, the EOS token).</summary>
    string EndOfTurn { get; }

    /// <summary>The id of <see cref="EndOfTurn"/>: the last token of every decision that is not cut.</summary>
    int EndOfTurnId { get; }

    /// <summary>
    /// The context rendering of <c>messages[start..end)</c>: one non-tool message, or a run of tool messages.
    /// </summary>
    /// <param name="showThinking">An assistant message shows its thinking (see <see cref="ExampleExtractor"/> for when).</param>
    string RenderTurn(IReadOnlyList<CanonicalMessage> messages, int start, int end, bool showThinking);

    /// <summary>The assistant message <paramref name="message"/> as the turn the model generates.</summary>
    /// <param name="showThinking">The thinking is part of what the model generates.</param>
    /// <param name="afterQuery">A user query precedes it in the conversation (Qwen3's templates mark such turns).</param>
    AssistantText RenderDecision(CanonicalMessage message, bool showThinking, bool afterQuery);
}
