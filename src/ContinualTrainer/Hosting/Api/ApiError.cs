namespace ContinualTrainer.Hosting.Api;

/// <summary>The body of every admin API error response: <c>{"error": "one line"}</c>.</summary>
public sealed record ApiError(string Error);
