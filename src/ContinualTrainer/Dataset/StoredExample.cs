namespace ContinualTrainer.Dataset;

/// <summary>One row of <c>dataset_examples</c>: a decision example as stored for a tokenizer fingerprint.</summary>
/// <param name="Id">Stable id; snapshots refer to it.</param>
/// <param name="ConversationId">The <c>conversations</c> row it was cut from.</param>
/// <param name="TurnIndex">Index of the assistant message in that conversation.</param>
/// <param name="Tokens">Context then decision ids.</param>
/// <param name="DecisionStart">Where the decision starts (the number of context tokens).</param>
/// <param name="DecisionLength">Number of decision tokens.</param>
/// <param name="Truncated">The decision was cut at the maximum length.</param>
/// <param name="DecisionText">What the assistant said (tool calls included).</param>
/// <param name="Category">The conversation's category (<c>agent-log</c> or <c>transcript</c>).</param>
/// <param name="SessionId">The agent session, for agent logs.</param>
/// <param name="SourceFile">The file the conversation was first read from.</param>
/// <param name="Retired">The conversation changed and no longer gives this example; kept because a snapshot refers to it.</param>
public sealed record StoredExample(
    long Id,
    long ConversationId,
    int TurnIndex,
    int[] Tokens,
    int DecisionStart,
    int DecisionLength,
    bool Truncated,
    string DecisionText,
    string Category,
    string? SessionId,
    string SourceFile,
    bool Retired);
