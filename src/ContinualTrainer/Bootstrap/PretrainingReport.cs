namespace ContinualTrainer.Bootstrap;

/// <summary>What <see cref="BaseModelBuilder"/> made: the model's size, how it was trained and how well it predicts the held-out text.</summary>
/// <param name="Directory">The Hugging Face model folder.</param>
/// <param name="Parameters">Stored parameters (the tied output projection counted once).</param>
/// <param name="VocabSize">Ids of the tokenizer, special tokens included.</param>
/// <param name="Steps">Optimizer steps taken.</param>
/// <param name="TrainingTokens">Tokens of the corpus's training part.</param>
/// <param name="TokensSeen">Tokens of all windows trained on.</param>
/// <param name="FirstLoss">Mean loss of the first steps (up to 5).</param>
/// <param name="FinalLoss">Mean loss of the last steps (up to 5).</param>
/// <param name="HeldOutTokens">Held-out tokens scored.</param>
/// <param name="HeldOutPerplexity">Perplexity of the held-out part after training.</param>
/// <param name="TrainingSeconds">Wall time of the pre-training steps.</param>
/// <param name="TotalSeconds">Wall time of the whole build (tokenizer, training, evaluation, writing).</param>
public sealed record PretrainingReport(
    string Directory,
    long Parameters,
    int VocabSize,
    int Steps,
    long TrainingTokens,
    long TokensSeen,
    double FirstLoss,
    double FinalLoss,
    long HeldOutTokens,
    double HeldOutPerplexity,
    double TrainingSeconds,
    double TotalSeconds)
{
    public double TokensPerSecond => TokensSeen / Math.Max(TrainingSeconds, 1e-9);
}
