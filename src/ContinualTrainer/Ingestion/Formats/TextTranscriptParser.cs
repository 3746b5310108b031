using System.Text;

namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// Reads plain-text transcripts: a line starting with a speaker prefix (<see cref="TextTranscriptOptions"/>)
/// opens a turn; following lines are its continuation; leading and trailing blank lines of a turn are
/// trimmed, as is the whitespace right after the prefix.
/// </summary>
/// <remarks>
/// A file is one conversation, or several separated by <see cref="TextTranscriptOptions.ConversationSeparator"/>
/// lines; keys are <c>{file}#{index}</c> (0-based). The file is parsed whole, once it is complete. Non-blank
/// text before the first speaker line of a conversation is skipped line by line. Because a transcript's text
/// cannot lose a line without being corrupted, a line that is too long, not UTF-8 or contains NUL bytes
/// quarantines the whole file, as does a file without any speaker line.
/// </remarks>
public sealed class TextTranscriptParser : IConversationParser
{
    private readonly IngestionLimits limits;
    private readonly TextTranscriptOptions options;

    public TextTranscriptParser(IngestionLimits limits, TextTranscriptOptions options)
    {
        this.limits = limits.Validate();
        this.options = options.Validate();
    }

    public ConversationFormat Format => ConversationFormat.Text;

    public IEnumerable<ParseRecord> Parse(Stream stream, ParseRequest request)
    {
        ParseArguments.Check(stream, request);
        return ParseValidated(stream, request);
    }

    private IEnumerable<ParseRecord> ParseValidated(Stream stream, ParseRequest request)
    {
        if (FileLimits.TooLarge(stream, limits) is { } tooLarge)
        {
            yield return tooLarge;
            yield break;
        }
        if (!request.FileIsComplete)
        {
            yield return new ParseCompleted(request.StartOffset, request.StartLineNumber);
            yield break;
        }
        if (Validate(stream, out var completed) is { } rejected)
        {
            yield return rejected;
            yield break;
        }

        var assembler = new TextTranscriptAssembler(options, limits.MaxMessagesPerConversation, request.SourceFile);
        using (var reader = new LineReader(stream, 0, 1, limits.MaxLineBytes, fileIsComplete: true))
        {
            while (reader.TryRead(out var line))
            {
                assembler.AddLine(line.Number, Encoding.UTF8.GetString(line.Content.Span));
                while (assembler.Output.TryDequeue(out var record)) yield return record;
            }
        }
        assembler.Finish();
        SkippedLine? firstSkip = null;
        while (assembler.Output.TryDequeue(out var record))
        {
            if (record is SkippedLine skipped) firstSkip ??= skipped;
            yield return record;
        }
        if (assembler.Conversations == 0)
        {
            var prefixes = string.Join(", ", options.SystemPrefixes.Concat(options.UserPrefixes).Concat(options.AssistantPrefixes).Concat(options.ToolPrefixes));
            yield return new QuarantineReason($"no line starts with a speaker prefix ({prefixes})");
        }
        else if (assembler.Parsed == 0 && firstSkip is not null)
        {
            yield return new QuarantineReason($"no conversation could be read (line {firstSkip.LineNumber}: {firstSkip.Reason})");
        }
        else
        {
            yield return completed;
        }
    }

    /// <summary>First pass: every line within the length limit, UTF-8 and free of NUL bytes.</summary>
    private QuarantineReason? Validate(Stream stream, out ParseCompleted completed)
    {
        using var reader = new LineReader(stream, 0, 1, limits.MaxLineBytes, fileIsComplete: true);
        while (reader.TryRead(out var line))
        {
            completed = new ParseCompleted(line.EndOffset, line.Number + 1);
            if (line.IsTooLong) return new QuarantineReason($"line {line.Number} is longer than {limits.MaxLineBytes} bytes (IngestionLimits.MaxLineBytes)");
            if (Utf8Text.Problem(line.Content.Span) is { } problem) return new QuarantineReason($"line {line.Number} {problem}");
        }
        completed = new ParseCompleted(reader.ConsumedOffset, reader.NextLineNumber);
        return null;
    }
}
