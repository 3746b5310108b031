namespace ContinualTrainer.Training;

/// <summary>The phases of a run, in order; each is recorded with its timing.</summary>
public static class RunPhase
{
    public const string Snapshot = "snapshot";
    public const string EvaluateBefore = "evaluate_before";
    public const string Train = "train";
    public const string EvaluateAfter = "evaluate_after";
    public const string Guard = "guard";
    public const string Publish = "publish";
    public const string Done = "done";
}
