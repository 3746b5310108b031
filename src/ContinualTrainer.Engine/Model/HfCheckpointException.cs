namespace ContinualTrainer.Engine.Model;

/// <summary>
/// A Hugging Face checkpoint directory is incomplete or inconsistent with its <c>config.json</c>: a missing or
/// mis-shaped tensor, a bad shard index, an unexpected tensor. The message is one line naming the file or
/// directory and the tensor.
/// </summary>
public sealed class HfCheckpointException : Exception
{
    public HfCheckpointException(string location, string problem)
        : base($"{location}: {problem}".ReplaceLineEndings(" "))
    {
        Location = location;
    }

    /// <summary>The checkpoint directory or file the problem was found in.</summary>
    public string Location { get; }
}
