using System.Text;
using ContinualTrainer.Ingestion.Conversations;

namespace ContinualTrainer.Dataset.Rendering;

/// <summary>
/// Llama 3 / 3.1 as their templates write it: <c>&lt;|begin_of_text|&gt;</c>, then per message
/// <c>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\n</c> + trimmed text + <c>&lt;|eot_id|&gt;</c>. Tool results
/// are <c>ipython</c> turns (text not trimmed); an assistant turn with tool calls is the calls alone, as
/// <c>{"name": ..., "parameters": ...}</c> (the 3.1 template drops the text and refuses several calls; several
/// are written one per line here). The 3.1 template's "Cutting Knowledge Date" system preamble is not written.
/// </summary>
/// <param name="beginOfText">The BOS token text (empty when the tokenizer has none).</param>
/// <param name="endOfTurnId">The id of <c>&lt;|eot_id|&gt;</c>.</param>
public sealed class Llama3Renderer(string beginOfText, int endOfTurnId) : IChatRenderer
{
    public const string StartHeader = "<|start_header_id|>";
    public const string EndHeader = "<|end_header_id|>";
    public const string EotId = "<|eot_id|>";

    public ChatFormat Format => ChatFormat.Llama3;
    public string Prefix { get; } = beginOfText;
    public string EndOfTurn => EotId;
    public int EndOfTurnId { get; } = endOfTurnId;

    public string RenderTurn(IReadOnlyList<CanonicalMessage> messages, int start, int end, bool showThinking)
    {
        var first = messages[start];
        switch (first.Role)
        {
            case MessageRole.Tool:
                var builder = new StringBuilder();
                for (var i = start; i < end; i++) builder.Append(Header("ipython")).Append(messages[i].Text).Append(EotId);
                return builder.ToString();
            case MessageRole.Assistant:
                var turn = RenderDecision(first, showThinking, afterQuery: false);
                return turn.Header + turn.Body + EotId;
            default:
                return Header(CanonicalJson.RoleName(first.Role)) + first.Text.Trim() + EotId;
        }
    }

    public AssistantText RenderDecision(CanonicalMessage message, bool showThinking, bool afterQuery)
    {
        var body = showThinking ? ToolCallText.ThinkBlock(message.Thinking ?? "") : "";
        body += message.ToolCalls.Count > 0
            ? string.Join("\n", message.ToolCalls.Select(ToolCallText.Llama3))
            : message.Text.Trim();
        return new AssistantText(Header("assistant"), body);
    }

    private static string Header(string role) => StartHeader + role + EndHeader + "\n\n";
}
