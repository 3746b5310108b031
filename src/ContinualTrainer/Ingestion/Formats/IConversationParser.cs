namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// Turns the bytes of one file into canonical conversations, incrementally for files that grow.
/// </summary>
/// <remarks>
/// Contract shared by all parsers:
/// <list type="bullet">
/// <item>The stream must be seekable; the parser positions it itself.</item>
/// <item>Line-oriented input (JSONL) is read from <see cref="ParseRequest.StartOffset"/>, whole lines only: a last
/// line without '\n' is consumed only when <see cref="ParseRequest.FileIsComplete"/>.</item>
/// <item>Whole-file layouts (a JSON document or array, a plain-text transcript) are parsed only when the file is
/// complete, always from byte 0, yielding the same conversation keys on every run (the caller upserts by key);
/// before that, the run consumes nothing.</item>
/// <item>The enumeration ends with exactly one <see cref="ParseCompleted"/> or <see cref="QuarantineReason"/>.</item>
/// <item>Bad input never throws: it yields <see cref="SkippedLine"/> or <see cref="QuarantineReason"/>. Only I/O
/// errors and invalid arguments throw — among them a <see cref="ParseRequest.StartOffset"/> beyond the end of the
/// file (<see cref="ArgumentOutOfRangeException"/>: the file was truncated or replaced and must be read again from 0).</item>
/// <item>Parsers hold only their options: one instance can serve any number of files and threads.</item>
/// </list>
/// </remarks>
public interface IConversationParser
{
    /// <summary>The format this parser reads.</summary>
    ConversationFormat Format { get; }

    /// <summary>Parses <paramref name="stream"/> as described by <paramref name="request"/>, lazily.</summary>
    IEnumerable<ParseRecord> Parse(Stream stream, ParseRequest request);
}
