using System.Text.Json;

namespace ContinualTrainer.Ingestion.Formats;

/// <summary>One-line descriptions of System.Text.Json syntax errors, positioned in the file's terms.</summary>
internal static class JsonErrors
{
    /// <summary>"invalid JSON at byte 17: ..." for an error within one line.</summary>
    public static string InLine(JsonException e) => $"invalid JSON at byte {e.BytePositionInLine + 1}: {Sentence(e)}";

    /// <summary>"line 12, byte 3: ..." for an error in a multi-line document starting at line 1.</summary>
    public static string InDocument(JsonException e) => $"line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {Sentence(e)}";

    private static string Sentence(JsonException e)
    {
        var message = e.Message;
        foreach (var tail in (ReadOnlySpan<string>)[" Path:", " LineNumber:"])
        {
            var at = message.IndexOf(tail, StringComparison.Ordinal);
            if (at >= 0) message = message[..at];
        }
        return message.ReplaceLineEndings(" ").Trim();
    }
}
