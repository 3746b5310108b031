namespace ContinualTrainer.Dataset.Snapshots;

/// <summary>What <see cref="DatasetBuilder"/> knows of one live example when it composes a training set.</summary>
/// <param name="Trained">It was trained (or rehearsed) in an accepted snapshot.</param>
/// <param name="HeldOut">It was a validation example of an accepted snapshot.</param>
internal sealed record ExampleCandidate(
    long Id,
    long ConversationId,
    string? SessionId,
    string SourceFile,
    int DecisionLength,
    string DecisionSha256,
    uint[] Signature,
    bool Trained,
    bool HeldOut)
{
    public bool IsNew => !Trained && !HeldOut;

    /// <summary>The decision text has no words, so MinHash says nothing about it (only exact text equality counts).</summary>
    public bool HasNoWords => Array.TrueForAll(Signature, v => v == uint.MaxValue);
}
