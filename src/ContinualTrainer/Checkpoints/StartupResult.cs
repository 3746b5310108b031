namespace ContinualTrainer.Checkpoints;

/// <summary>
/// What start-up settled on: the version to serve (null when there are no versions yet), and — when
/// <c>current</c> failed verification — the version it replaced and why.
/// </summary>
public sealed record StartupResult(LoadedVersion? Serving, int? FellBackFrom, string? FallbackReason);
