namespace ContinualTrainer.Engine.Training;

/// <summary>
/// What one optimizer step did: the mean of the micro-batches' masked losses (before the update), the global
/// gradient norm before clipping, whether the update was applied (a non-finite norm skips it), and the tokens
/// the step covered (all positions of its rows) and predicted (positions in the loss).
/// </summary>
public sealed record TrainingStepResult(double Loss, double GradientNorm, bool Applied, long Tokens, long LossTokens);
