namespace ContinualTrainer.Checkpoints;

/// <summary>What retention needs to know about one stored (not yet pruned) version.</summary>
/// <param name="Version">Its number.</param>
/// <param name="Parent">The version it was trained from (null for v0).</param>
/// <param name="SelfContained">False for a LoRA adapter without merged weights: serving it needs its parent.</param>
/// <param name="GeneralPerplexity">Its evaluated general perplexity (null for v0 and when unknown).</param>
/// <param name="Rejected">Disqualified by the post-publish check (never "the best").</param>
/// <param name="AwaitingUpload">A storage host is configured and has not verified its copy yet.</param>
public sealed record RetentionCandidate(int Version, int? Parent, bool SelfContained, double? GeneralPerplexity, bool Rejected, bool AwaitingUpload);
