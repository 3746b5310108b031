using System.Text;
using ContinualTrainer.Ingestion.Conversations;

namespace ContinualTrainer.Dataset.Rendering;

/// <summary>
/// The fallback format for tokenizers that have neither ChatML's nor Llama 3's tokens (this project's own
/// convention, not a template's): each message is <c>System: </c>, <c>User: </c>, <c>Tool: </c> or
/// <c>Assistant: </c> + text + <c>\n\n</c>; an assistant turn ends with the tokenizer's EOS token before its
/// <c>\n\n</c>; tool calls are written in Qwen's <c>&lt;tool_call&gt;</c> form. Each message is tokenized on its own.
/// </summary>
/// <param name="endOfSequence">The EOS token text.</param>
/// <param name="endOfSequenceId">Its id.</param>
public sealed class PlainRenderer(string endOfSequence, int endOfSequenceId) : IChatRenderer
{
    public ChatFormat Format => ChatFormat.Plain;
    public string Prefix => "";
    public string EndOfTurn { get; } = endOfSequence;
    public int EndOfTurnId { get; } = endOfSequenceId;

    public string RenderTurn(IReadOnlyList<CanonicalMessage> messages, int start, int end, bool showThinking)
    {
        var first = messages[start];
        if (first.Role == MessageRole.Assistant)
        {
            var turn = RenderDecision(first, showThinking, afterQuery: false);
            return turn.Header + turn.Body + EndOfTurn + "\n\n";
        }
        var builder = new StringBuilder();
        for (var i = start; i < end; i++)
        {
            var label = messages[i].Role switch
            {
                MessageRole.System => "System: ",
                MessageRole.User => "User: ",
                _ => "Tool: ",
            };
            builder.Append(label).Append(messages[i].Text).Append("\n\n");
        }
        return builder.ToString();
    }

    public AssistantText RenderDecision(CanonicalMessage message, bool showThinking, bool afterQuery)
    {
        var body = new StringBuilder();
        if (showThinking) body.Append(ToolCallText.ThinkBlock(message.Thinking ?? ""));
        body.Append(message.Text);
        for (var i = 0; i < message.ToolCalls.Count; i++)
        {
            if (i > 0 || message.Text.Length > 0) body.Append('\n');
            body.Append(ToolCallText.Qwen(message.ToolCalls[i]));
        }
        return new AssistantText("Assistant: ", body.ToString());
    }
}
