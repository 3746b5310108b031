namespace ContinualTrainer.Engine.IO;

/// <summary>
/// A safetensors file (or the data handed to the writer for one) breaks the format. The message is one
/// line naming the file and, when there is one, the tensor.
/// </summary>
public sealed class SafeTensorsFormatException : Exception
{
    public SafeTensorsFormatException(string path, string? tensor, string problem)
        : base(Compose(path, tensor, problem))
    {
        FilePath = path;
        TensorName = tensor;
    }

    /// <summary>The file the problem was found in.</summary>
    public string FilePath { get; }

    /// <summary>The tensor the problem concerns, or null for a file-level problem.</summary>
    public string? TensorName { get; }

    private static string Compose(string path, string? tensor, string problem)
    {
        var where = tensor is null ? path : $"{path}: tensor '{Printable(tensor)}'";
        return OneLine($"{where}: {problem}");
    }

    /// <summary>Control characters escaped and length capped: names come from untrusted headers.</summary>
    internal static string Printable(string text)
    {
        const int maxLength = 200;
        var clipped = text.Length > maxLength ? text[..maxLength] + "..." : text;
        return OneLine(clipped);
    }

    private static string OneLine(string text)
    {
        if (!text.Any(char.IsControl)) return text;
        var sb = new System.Text.StringBuilder(text.Length + 8);
        foreach (var ch in text) sb.Append(char.IsControl(ch) ? $"\\u{(int)ch:x4}" : ch);
        return sb.ToString();
    }
}
