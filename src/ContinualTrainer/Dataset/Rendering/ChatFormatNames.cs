namespace ContinualTrainer.Dataset.Rendering;

/// <summary>The configuration spelling of <see cref="ChatFormat"/>: <c>chatml</c>, <c>llama3</c>, <c>plain</c>.</summary>
public static class ChatFormatNames
{
    public const string ChatMl = "chatml";
    public const string Llama3 = "llama3";
    public const string Plain = "plain";

    public static string ToName(this ChatFormat format) => format switch
    {
        ChatFormat.ChatMl => ChatMl,
        ChatFormat.Llama3 => Llama3,
        ChatFormat.Plain => Plain,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown chat format"),
    };

    /// <summary>Parses a configuration name (exact, lower case); throws <see cref="ArgumentException"/> naming the valid ones otherwise.</summary>
    public static ChatFormat Parse(string name) => name switch
    {
        ChatMl => ChatFormat.ChatMl,
        Llama3 => ChatFormat.Llama3,
        Plain => ChatFormat.Plain,
        _ => throw new ArgumentException($"unknown chat format '{name}' (expected '{ChatMl}', '{Llama3}' or '{Plain}')", nameof(name)),
    };
}
