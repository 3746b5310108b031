namespace ContinualTrainer.Engine.Model;

/// <summary>
/// A Hugging Face <c>config.json</c> describes a model the engine cannot run faithfully, or is malformed.
/// The message is one line naming the file, the key, its value and what is allowed.
/// </summary>
public sealed class ModelConfigException : Exception
{
    public ModelConfigException(string source, string problem)
        : base($"{source}: {problem}".ReplaceLineEndings(" "))
    {
        ConfigSource = source;
    }

    /// <summary>The config file (or the name the JSON was given).</summary>
    public string ConfigSource { get; }
}
