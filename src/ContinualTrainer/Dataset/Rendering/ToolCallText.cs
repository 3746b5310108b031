using ContinualTrainer.Ingestion.Conversations;

namespace ContinualTrainer.Dataset.Rendering;

/// <summary>How the chat templates write an assistant's tool calls and thinking.</summary>
public static class ToolCallText
{
    /// <summary>
    /// Qwen's form: <c>&lt;tool_call&gt;\n{"name": "NAME", "arguments": ARGS}\n&lt;/tool_call&gt;</c>, ARGS in
    /// <see cref="TemplateJson"/> style when they are valid JSON, verbatim otherwise (as the template writes a string).
    /// </summary>
    public static string Qwen(ToolCall call)
    {
        TemplateJson.TryReformat(call.Arguments, out var arguments);
        return "<tool_call>\n{\"name\": \"" + call.Name + "\", \"arguments\": " + arguments + "}\n</tool_call>";
    }

    /// <summary>
    /// Llama 3.1's custom-tool form: <c>{"name": "NAME", "parameters": ARGS}</c>, ARGS through <c>tojson</c>
    /// (arguments that are not valid JSON become a JSON string).
    /// </summary>
    public static string Llama3(ToolCall call)
    {
        var arguments = TemplateJson.TryReformat(call.Arguments, out var formatted) ? formatted : TemplateJson.Quote(call.Arguments);
        return "{\"name\": \"" + call.Name + "\", \"parameters\": " + arguments + "}";
    }

    /// <summary>Qwen's thinking block with its content: <c>&lt;think&gt;\nTHINKING\n&lt;/think&gt;\n\n</c> (THINKING stripped of newlines at both ends).</summary>
    public static string ThinkBlock(string thinking) => "<think>\n" + thinking.Trim('\n') + "\n</think>\n\n";

    /// <summary>The empty thinking block Qwen3's template writes before a reply without thinking.</summary>
    public const string EmptyThinkBlock = "<think>\n\n</think>\n\n";
}
