using ContinualTrainer.Ingestion.Conversations;
using ContinualTrainer.Ingestion.Formats;

namespace ContinualTrainer.Tests.Ingestion.Store;

/// <summary>
/// What the store must hold for a set of finished files: each file parsed whole, in one go, by the parsers themselves
/// (no offsets, no store), keyed as the store keys them.
/// </summary>
internal static class ParserOracle
{
    /// <summary>(category, key) → content hash of every conversation in <paramref name="files"/>.</summary>
    public static IReadOnlyDictionary<(string Category, string Key), string> Expected(IEnumerable<(string Path, ConversationCategory Category)> files)
    {
        var expected = new Dictionary<(string, string), string>();
        var detector = new FormatDetector(IngestionLimits.Default, TextTranscriptOptions.Default);
        foreach (var (path, category) in files)
        {
            using var stream = File.OpenRead(path);
            var format = detector.Detect(stream, fileIsComplete: true).Format ?? throw new InvalidOperationException($"{path}: no format");
            var parser = ConversationParsers.Create(format, IngestionLimits.Default, TextTranscriptOptions.Default);
            foreach (var record in parser.Parse(stream, new ParseRequest(path, FileIsComplete: true)))
            {
                if (record is ParsedConversation { Conversation: var conversation })
                    expected.Add((category.ToName(), conversation.ConversationKey), conversation.ContentHash);
            }
        }
        return expected;
    }
}
