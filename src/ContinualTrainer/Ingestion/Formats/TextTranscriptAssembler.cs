using ContinualTrainer.Ingestion.Conversations;

namespace ContinualTrainer.Ingestion.Formats;

/// <summary>
/// The line-by-line state machine of <see cref="TextTranscriptParser"/>: groups decoded lines into turns and
/// turns into conversations, queueing the records it produces in <see cref="Output"/>.
/// </summary>
internal sealed class TextTranscriptAssembler
{
    private readonly IReadOnlyList<(string Prefix, MessageRole Role)> speakers;
    private readonly string? separator;
    private readonly int maxMessages;
    private readonly string sourceFile;
    private readonly List<CanonicalMessage> messages = [];
    private readonly List<string> turnLines = [];
    private readonly List<(long Number, string Text)> pendingSeparator = [];
    private MessageRole? turnRole;
    private long firstLine;
    private long lastLine;
    private int index;

    public TextTranscriptAssembler(TextTranscriptOptions options, int maxMessages, string sourceFile)
    {
        speakers = options.SystemPrefixes.Select(p => (p, MessageRole.System))
            .Concat(options.UserPrefixes.Select(p => (p, MessageRole.User)))
            .Concat(options.AssistantPrefixes.Select(p => (p, MessageRole.Assistant)))
            .Concat(options.ToolPrefixes.Select(p => (p, MessageRole.Tool)))
            .OrderByDescending(s => s.p.Length)
            .ToList();
        separator = options.ConversationSeparator?.TrimEnd();
        this.maxMessages = maxMessages;
        this.sourceFile = sourceFile;
    }

    /// <summary>Records produced so far; the caller drains it.</summary>
    public Queue<ParseRecord> Output { get; } = new();

    /// <summary>Conversations read (or refused over the message limit) so far.</summary>
    public int Conversations => index;

    /// <summary>Conversations actually yielded so far.</summary>
    public int Parsed { get; private set; }

    public void AddLine(long number, string text)
    {
        if (pendingSeparator.Count > 0)
        {
            if (IsBlank(text))
            {
                pendingSeparator.Add((number, text));
                return;
            }
            if (Speaker(text) is not null)
            {
                pendingSeparator.Clear();
                FinishConversation();
            }
            else
            {
                // Not followed by a speaker turn: the separator was ordinary text (e.g. a Markdown rule).
                foreach (var (pendingNumber, pendingText) in pendingSeparator) AddContent(pendingNumber, pendingText);
                pendingSeparator.Clear();
            }
        }
        if (separator is not null && text.TrimEnd() == separator)
        {
            pendingSeparator.Add((number, text));
            return;
        }
        if (Speaker(text) is var (prefix, role))
        {
            CloseTurn();
            if (messages.Count == 0) firstLine = number;
            turnRole = role;
            turnLines.Add(text[prefix.Length..].TrimStart(' ', '\t'));
            lastLine = number;
            return;
        }
        AddContent(number, text);
    }

    /// <summary>Ends the file: a separator at the very end just ends the last conversation.</summary>
    public void Finish()
    {
        pendingSeparator.Clear();
        FinishConversation();
    }

    private void AddContent(long number, string text)
    {
        if (turnRole is null)
        {
            if (!IsBlank(text)) Output.Enqueue(new SkippedLine(number, "text before the first speaker prefix"));
            return;
        }
        turnLines.Add(text);
        if (!IsBlank(text)) lastLine = number;
    }

    private (string Prefix, MessageRole Role)? Speaker(string text)
    {
        foreach (var speaker in speakers)
        {
            if (text.StartsWith(speaker.Prefix, StringComparison.Ordinal)) return speaker;
        }
        return null;
    }

    private void CloseTurn()
    {
        if (turnRole is not { } role) return;
        var first = turnLines.FindIndex(line => !IsBlank(line));
        var last = turnLines.FindLastIndex(line => !IsBlank(line));
        var text = first < 0 ? "" : string.Join('\n', turnLines.GetRange(first, last - first + 1));
        messages.Add(new CanonicalMessage(role, text));
        turnLines.Clear();
        turnRole = null;
    }

    private void FinishConversation()
    {
        CloseTurn();
        if (messages.Count == 0) return;
        if (messages.Count > maxMessages)
        {
            Output.Enqueue(new SkippedLine(firstLine, $"conversation {index} has {FileLimits.TooManyMessages(messages.Count, maxMessages)}"));
        }
        else
        {
            Output.Enqueue(new ParsedConversation(new CanonicalConversation(
                $"{sourceFile}#{index}", null, ConversationCategory.Transcript, sourceFile, firstLine, lastLine, messages.ToList())));
            Parsed++;
        }
        messages.Clear();
        index++;
    }

    private static bool IsBlank(string text) => string.IsNullOrWhiteSpace(text);
}
