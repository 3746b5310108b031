using System.Text;
using ContinualTrainer.Ingestion.Conversations;

namespace ContinualTrainer.Dataset.Rendering;

/// <summary>
/// ChatML as Qwen2.5's and Qwen3's templates write it: <c>&lt;|im_start|&gt;role\ntext&lt;|im_end|&gt;\n</c>;
/// tool calls as <c>&lt;tool_call&gt;</c> JSON after the text (on a new line when there is text); a run of tool
/// results as one user turn of <c>\n&lt;tool_response&gt;\n...\n&lt;/tool_response&gt;</c> blocks. No default
/// system prompt and no tool list are written (conversations do not carry tool definitions).
/// </summary>
/// <param name="endOfTurnId">The id of <c>&lt;|im_end|&gt;</c>.</param>
/// <param name="thinkingTemplate">
/// The template is Qwen3's: a reply that follows a user query and shows no thinking starts with an empty
/// <c>&lt;think&gt;\n\n&lt;/think&gt;\n\n</c> block, which is kept in the prompt (as Qwen3 writes it with thinking
/// disabled) so the decision is the reply itself.
/// </param>
public sealed class ChatMlRenderer(int endOfTurnId, bool thinkingTemplate) : IChatRenderer
{
    public const string ImStart = "<|im_start|>";
    public const string ImEnd = "<|im_end|>";

    public ChatFormat Format => ChatFormat.ChatMl;
    public string Prefix => "";
    public string EndOfTurn => ImEnd;
    public int EndOfTurnId { get; } = endOfTurnId;

    /// <summary>Whether the template is Qwen3's (writes <c>&lt;think&gt;</c> blocks).</summary>
    public bool ThinkingTemplate { get; } = thinkingTemplate;

    public string RenderTurn(IReadOnlyList<CanonicalMessage> messages, int start, int end, bool showThinking)
    {
        var first = messages[start];
        switch (first.Role)
        {
            case MessageRole.Tool:
                var builder = new StringBuilder(ImStart).Append("user");
                for (var i = start; i < end; i++) builder.Append("\n<tool_response>\n").Append(messages[i].Text).Append("\n</tool_response>");
                return builder.Append(ImEnd).Append('\n').ToString();
            case MessageRole.Assistant:
                var turn = Assistant(first, showThinking, emptyThinking: false);
                return turn.Header + turn.Body + ImEnd + "\n";
            default:
                return ImStart + CanonicalJson.RoleName(first.Role) + "\n" + first.Text + ImEnd + "\n";
        }
    }

    public AssistantText RenderDecision(CanonicalMessage message, bool showThinking, bool afterQuery) =>
        Assistant(message, showThinking, emptyThinking: ThinkingTemplate && afterQuery && !showThinking);

    private static AssistantText Assistant(CanonicalMessage message, bool showThinking, bool emptyThinking)
    {
        var header = ImStart + "assistant\n";
        var content = message.Text;
        var body = new StringBuilder();
        if (showThinking) body.Append(ToolCallText.ThinkBlock(message.Thinking ?? "")).Append(content.TrimStart('\n'));
        else if (emptyThinking)
        {
            header += ToolCallText.EmptyThinkBlock;
            body.Append(content.TrimStart('\n'));
        }
        else body.Append(content);
        for (var i = 0; i < message.ToolCalls.Count; i++)
        {
            if (i > 0 || content.Length > 0) body.Append('\n');
            body.Append(ToolCallText.Qwen(message.ToolCalls[i]));
        }
        return new AssistantText(header, body.ToString());
    }
}
