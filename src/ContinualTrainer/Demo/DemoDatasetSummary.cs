namespace ContinualTrainer.Demo;

/// <summary>The sizes of the demonstration's data, for the report.</summary>
/// <param name="ChatFormat">The chat format the transcripts were rendered in (the model's, as the daemon detects it).</param>
/// <param name="HeldOutTokens">Held-out general tokens the guard's perplexity uses.</param>
/// <param name="ReplayStreamTokens">Tokens of the general corpus's training part (replay windows are cut from it).</param>
public sealed record DemoDatasetSummary(
    string ChatFormat,
    int Conversations,
    int TrainConversations,
    int ValidationConversations,
    int TrainExamples,
    int ValidationExamples,
    long TrainDecisionTokens,
    long ValidationDecisionTokens,
    int MinDecisionTokens,
    int MaxDecisionTokens,
    int HeldOutTokens,
    long ReplayStreamTokens,
    int Probes);
