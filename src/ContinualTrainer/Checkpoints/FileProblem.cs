namespace ContinualTrainer.Checkpoints;

/// <summary>One thing wrong with a stored version: the file (relative path; <c>.</c> for the version directory itself) and what is wrong with it.</summary>
public sealed record FileProblem(string Path, string Problem)
{
    public override string ToString() => Path == "." ? Problem : $"{Path}: {Problem}";
}
