using System.Text.Json;
using ContinualTrainer.Tests.Dataset;

namespace ContinualTrainer.Tests.EndToEnd;

/// <summary>
/// Drops transcripts into the daemon's inbox as a producer would: an OpenAI chat JSONL file written under a
/// <c>.part</c> name (which the daemon never reads) and then renamed into place, complete at once.
/// </summary>
internal static class InboxTranscripts
{
    /// <summary>
    /// Writes <paramref name="count"/> conversations (<see cref="Transcripts.QuestionAndAnswer"/> with seeds
    /// <paramref name="firstSeed"/>, <paramref name="firstSeed"/>+1, ...) to <c>FOLDER/NAME.jsonl</c>; returns its path.
    /// Each conversation has one assistant answer, so it yields one decision example.
    /// </summary>
    public static string Drop(string folder, string name, int firstSeed, int count)
    {
        var lines = Enumerable.Range(firstSeed, count).Select(seed => JsonSerializer.Serialize(new
        {
            messages = Transcripts.QuestionAndAnswer(seed).Select(m => new { role = m.Role.ToString().ToLowerInvariant(), content = m.Text }),
        }));
        var path = Path.Combine(folder, name + ".jsonl");
        var part = path + ".part";
        File.WriteAllText(part, string.Join('\n', lines) + "\n");
        File.Move(part, path);
        return path;
    }
}
