namespace ContinualTrainer.Dataset;

/// <summary>
/// One decision example cut out of a conversation: the rendered, tokenized context followed by the decision
/// (the assistant turn the model is trained to produce, ending with its end-of-turn token unless cut).
/// </summary>
/// <param name="TurnIndex">Index of the assistant message in the conversation's messages.</param>
/// <param name="Tokens">Context then decision ids: <c>Tokens[..DecisionStart]</c> is the context.</param>
/// <param name="DecisionStart">Where the decision starts, which is also the number of context tokens.</param>
/// <param name="DecisionLength">Number of decision tokens (the rest of <see cref="Tokens"/>).</param>
/// <param name="Truncated">The decision was longer than the limit and was cut (it lacks its end token).</param>
/// <param name="DecisionText">The decision as text (what the assistant said, tool calls included, end token excluded).</param>
/// <param name="ContentHash">Lower-case hex SHA-256 of the tokens and the decision span: equal exactly for identical examples.</param>
public sealed record DerivedExample(
    int TurnIndex,
    int[] Tokens,
    int DecisionStart,
    int DecisionLength,
    bool Truncated,
    string DecisionText,
    string ContentHash);
