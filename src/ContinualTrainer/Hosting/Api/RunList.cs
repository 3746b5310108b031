namespace ContinualTrainer.Hosting.Api;

/// <summary>The answer of <c>GET /api/runs</c>: the newest runs first.</summary>
public sealed record RunList(IReadOnlyList<RunView> Runs);
