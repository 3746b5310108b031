namespace ContinualTrainer.Guard;

/// <summary>How a probe's greedy continuation is judged against its answer.</summary>
public enum ProbeMatch
{
    /// <summary>The continuation (whitespace-trimmed) starts with the answer.</summary>
    Exact,
    /// <summary>The answer appears anywhere in the continuation.</summary>
    Contains,
}

/// <summary>One before/after question: the model continues <paramref name="Prompt"/> greedily and should say <paramref name="Answer"/>.</summary>
public sealed record Probe(string Prompt, string Answer, string Category, ProbeMatch Match = ProbeMatch.Contains);
