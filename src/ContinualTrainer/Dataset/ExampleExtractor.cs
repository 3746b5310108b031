using System.Buffers.Binary;
using System.Security.Cryptography;
using ContinualTrainer.Dataset.Rendering;
using ContinualTrainer.Engine.Tokenization;
using ContinualTrainer.Ingestion.Conversations;

namespace ContinualTrainer.Dataset;

/// <summary>
/// Turns a conversation into decision examples for one tokenizer and chat format: every assistant turn is a
/// decision (turns that are only tool calls too); its context is everything before it, rendered by the chat
/// template and cut to <see cref="DecisionLimits.MaxContextTokens"/> from the front while the prefix and the
/// leading system prompt are always kept.
/// </summary>
/// <remarks>
/// <para>Token boundaries are exact by construction: the context is tokenized turn by turn (each turn of ChatML
/// and Llama 3 starts with a special token, so this equals tokenizing the whole rendering) and the decision
/// body is tokenized on its own after the assistant header — what the model sees when it generates after the
/// header — then the end-of-turn id is appended.</para>
/// <para>Thinking is shown only with <c>includeThinking</c>, and then as Qwen3's template does: for assistant
/// turns after the last user query (the decision itself and earlier tool-calling steps of the same query).
/// A user message that is a whole <c>&lt;tool_response&gt;</c> block does not count as a query.</para>
/// </remarks>
public sealed class ExampleExtractor
{
    private readonly BpeTokenizer tokenizer;
    private readonly IChatRenderer renderer;
    private readonly DecisionLimits limits;
    private readonly bool includeThinking;
    private readonly int[] prefix;

    public ExampleExtractor(BpeTokenizer tokenizer, IChatRenderer renderer, DecisionLimits limits, bool includeThinking)
    {
        this.tokenizer = tokenizer;
        this.renderer = renderer;
        this.limits = limits;
        this.includeThinking = includeThinking;
        prefix = tokenizer.Encode(renderer.Prefix);
    }

    public ExtractionResult Extract(IReadOnlyList<CanonicalMessage> messages)
    {
        var turns = Turns(messages);
        var cache = new Dictionary<(int Turn, bool Thinking), int[]>();
        int[] TurnTokens(int turn, bool thinking)
        {
            if (!cache.TryGetValue((turn, thinking), out var ids))
            {
                var (start, end) = turns[turn];
                ids = tokenizer.Encode(renderer.RenderTurn(messages, start, end, thinking));
                cache[(turn, thinking)] = ids;
            }
            return ids;
        }

        var pinnedTurns = messages.Count > 0 && messages[0].Role == MessageRole.System ? 1 : 0;
        int[] pinned = pinnedTurns == 1 ? [.. prefix, .. TurnTokens(0, false)] : prefix;
        var examples = new List<DerivedExample>();
        int decisions = 0, tooShort = 0, truncated = 0, lastQuery = -1;
        for (var t = 0; t < turns.Count; t++)
        {
            var index = turns[t].Start;
            var message = messages[index];
            if (message.Role == MessageRole.User && !IsToolResponse(message.Text)) lastQuery = index;
            if (message.Role != MessageRole.Assistant) continue;
            decisions++;

            var rendered = renderer.RenderDecision(message, ShowsThinking(message, index, lastQuery), afterQuery: lastQuery >= 0);
            var decision = new List<int>(limits.MaxDecisionTokens + 1);
            tokenizer.Encode(rendered.Body, decision);
            decision.Add(renderer.EndOfTurnId);
            if (decision.Count < limits.MinDecisionTokens)
            {
                tooShort++;
                continue;
            }
            var cut = decision.Count > limits.MaxDecisionTokens;
            if (cut)
            {
                truncated++;
                decision.RemoveRange(limits.MaxDecisionTokens, decision.Count - limits.MaxDecisionTokens);
            }

            var context = Context(pinned, pinnedTurns, t, tokenizer.Encode(rendered.Header),
                j => TurnTokens(j, ShowsThinking(messages[turns[j].Start], turns[j].Start, lastQuery)));
            int[] tokens = [.. context, .. decision];
            examples.Add(new DerivedExample(index, tokens, context.Length, decision.Count, cut, rendered.Body, Hash(tokens, context.Length)));
        }
        return new ExtractionResult(examples, decisions, tooShort, truncated);
    }

    /// <summary>Lower-case hex SHA-256 of the ids (int32 little-endian) followed by the decision start.</summary>
    public static string Hash(ReadOnlySpan<int> tokens, int decisionStart)
    {
        var bytes = new byte[(tokens.Length + 1) * sizeof(int)];
        for (var i = 0; i < tokens.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * sizeof(int)), tokens[i]);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(tokens.Length * sizeof(int)), decisionStart);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    // Qwen3: thinking is written for assistant turns after the last user query, when there is thinking.
    private bool ShowsThinking(CanonicalMessage message, int index, int lastQuery) =>
        includeThinking && message.Role == MessageRole.Assistant && lastQuery >= 0 && index > lastQuery && !string.IsNullOrEmpty(message.Thinking);

    /// <summary>
    /// The context before the decision in turn <paramref name="decisionTurn"/>: the pinned prefix (cut to what
    /// leaves room for the header when it alone is too long), then as many of the latest tokens of the turns
    /// in between and the header as fit.
    /// </summary>
    private int[] Context(int[] pinned, int pinnedTurns, int decisionTurn, int[] header, Func<int, int[]> turnTokens)
    {
        var pinnedKeep = Math.Min(pinned.Length, Math.Max(0, limits.MaxContextTokens - header.Length));
        var tailBudget = limits.MaxContextTokens - pinnedKeep;
        var pieces = new List<int[]> { header };
        var tailLength = header.Length;
        for (var j = decisionTurn - 1; j >= pinnedTurns && tailLength < tailBudget; j--)
        {
            var piece = turnTokens(j);
            pieces.Add(piece);
            tailLength += piece.Length;
        }
        var skip = Math.Max(0, tailLength - tailBudget);
        var context = new int[pinnedKeep + tailLength - skip];
        pinned.AsSpan(0, pinnedKeep).CopyTo(context);
        var at = pinnedKeep;
        for (var p = pieces.Count - 1; p >= 0; p--)
        {
            var piece = pieces[p].AsSpan();
            var drop = Math.Min(skip, piece.Length);
            skip -= drop;
            piece[drop..].CopyTo(context.AsSpan(at));
            at += piece.Length - drop;
        }
        return context;
    }

    private static List<(int Start, int End)> Turns(IReadOnlyList<CanonicalMessage> messages)
    {
        var turns = new List<(int, int)>();
        for (var i = 0; i < messages.Count;)
        {
            var end = i + 1;
            if (messages[i].Role == MessageRole.Tool)
            {
                while (end < messages.Count && messages[end].Role == MessageRole.Tool) end++;
            }
            turns.Add((i, end));
            i = end;
        }
        return turns;
    }

    private static bool IsToolResponse(string text) =>
        text.StartsWith("<tool_response>", StringComparison.Ordinal) && text.EndsWith("</tool_response>", StringComparison.Ordinal);
}
