namespace ContinualTrainer.Hosting.Api;

/// <summary>A run request (<c>POST /api/train</c>) and the run that serves it, null until the scheduler claimed it.</summary>
public sealed record RunRequestState(long RequestId, long? RunId);
