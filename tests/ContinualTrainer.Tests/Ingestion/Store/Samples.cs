using System.Globalization;
using System.Text.Json;

namespace ContinualTrainer.Tests.Ingestion.Store;

/// <summary>Lines of the input formats, written the way agents and exporters write them.</summary>
internal static class Samples
{
    private static readonly DateTimeOffset Epoch = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>One agent-log event line (with its '\n'): a user or assistant turn of <paramref name="session"/>.</summary>
    public static string Event(string session, int index, string? text = null, bool withUuid = true)
    {
        var type = index % 2 == 0 ? "user" : "assistant";
        var line = new Dictionary<string, object>
        {
            ["type"] = type,
            ["sessionId"] = session,
            ["timestamp"] = Epoch.AddSeconds(index).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["message"] = new Dictionary<string, object> { ["role"] = type, ["content"] = text ?? $"{type} turn {index} of {session}" },
        };
        if (withUuid) line["uuid"] = $"{session}-{index}";
        return JsonSerializer.Serialize(line) + "\n";
    }

    /// <summary>Events <paramref name="from"/>..<paramref name="to"/> (exclusive) of one session.</summary>
    public static string Events(string session, int from, int to) =>
        string.Concat(Enumerable.Range(from, to - from).Select(i => Event(session, i)));

    /// <summary>One OpenAI chat JSONL line (with its '\n').</summary>
    public static string Chat(string question, string answer = "ok") =>
        JsonSerializer.Serialize(new
        {
            messages = new object[]
            {
                new { role = "user", content = question },
                new { role = "assistant", content = answer },
            },
        }) + "\n";

    /// <summary><paramref name="count"/> chat lines, numbered from <paramref name="from"/>.</summary>
    public static string Chats(int from, int count, string tag = "q") =>
        string.Concat(Enumerable.Range(from, count).Select(i => Chat($"{tag} {i}?", $"answer {i}")));

    /// <summary>A ShareGPT JSON array document of <paramref name="count"/> conversations, pretty-printed.</summary>
    public static string ShareGptDocument(int count) =>
        JsonSerializer.Serialize(
            Enumerable.Range(0, count).Select(i => new
            {
                conversations = new object[]
                {
                    new { from = "human", value = $"question {i}" },
                    new { from = "gpt", value = $"answer {i}" },
                },
            }),
            new JsonSerializerOptions { WriteIndented = true });
}
