using ContinualTrainer.Checkpoints;

namespace ContinualTrainer.Hosting.Api;

/// <summary>The answer of <c>GET /api/checkpoints</c>, shaped like <c>checkpoints list --json</c>: the current version's name and the versions.</summary>
public sealed record CheckpointList(string? Current, IReadOnlyList<CheckpointVersion> Versions);
