namespace ContinualTrainer.Configuration;

/// <summary>Section <c>Guard</c>: when a trained model is kept, and how the next run adapts after a rejection.</summary>
public sealed record GuardOptions
{
    /// <summary><c>Guard:MaxPerplexityIncrease</c>: largest relative rise of general perplexity accepted (0.03 = 3%).</summary>
    public double MaxPerplexityIncrease { get; init; } = 0.03;

    /// <summary><c>Guard:MaxProbeDrop</c>: largest drop of any probe category's accuracy accepted (absolute, 0.10 = 10 points).</summary>
    public double MaxProbeDrop { get; init; } = 0.10;

    /// <summary><c>Guard:MaxPastLossIncrease</c>: largest relative rise of the loss on earlier runs' validation data.</summary>
    public double MaxPastLossIncrease { get; init; } = 0.05;

    /// <summary><c>Guard:RejectionLearningRateFactor</c>: the next run's learning rate after a rejection is multiplied by this.</summary>
    public double RejectionLearningRateFactor { get; init; } = 0.5;

    /// <summary><c>Guard:RejectionReplayStep</c>: the replay fraction is raised by this after a rejection ...</summary>
    public double RejectionReplayStep { get; init; } = 0.10;

    /// <summary><c>Guard:MaxReplayFraction</c>: ... up to this cap.</summary>
    public double MaxReplayFraction { get; init; } = 0.60;

    /// <summary>
    /// <c>Guard:GeneralHoldout</c>: text file (or folder of text / JSONL {"text"} files) whose perplexity is the forgetting
    /// signal. Default: the held-out part of <c>Dataset:GeneralCorpus</c>.
    /// </summary>
    public string? GeneralHoldout { get; init; }

    /// <summary><c>Guard:MaxHoldoutTokens</c>: the held-out text is cut to this many tokens, to bound evaluation time.</summary>
    public int MaxHoldoutTokens { get; init; } = 16384;

    /// <summary><c>Guard:PerplexityWindow</c>: window of the perplexity evaluation, in tokens.</summary>
    public int PerplexityWindow { get; init; } = 256;

    /// <summary><c>Guard:ProbeFile</c>: JSONL probes {"prompt", "answer", "category", "match"?}. Default: cloze and recall probes built from the held-out text.</summary>
    public string? ProbeFile { get; init; }

    /// <summary><c>Guard:ProbesPerCategory</c>: how many default probes of each category are built.</summary>
    public int ProbesPerCategory { get; init; } = 25;

    public static GuardOptions Read(SettingsReader reader) => new()
    {
        GeneralHoldout = ExistingPath(reader, "Guard:GeneralHoldout"),
        MaxHoldoutTokens = reader.GetInt("Guard:MaxHoldoutTokens", 16384, 64, 1 << 26),
        PerplexityWindow = reader.GetInt("Guard:PerplexityWindow", 256, 8, 1 << 16),
        ProbeFile = ExistingPath(reader, "Guard:ProbeFile"),
        ProbesPerCategory = reader.GetInt("Guard:ProbesPerCategory", 25, 0, 10000),
        MaxPerplexityIncrease = reader.GetDouble("Guard:MaxPerplexityIncrease", 0.03, 0, 10),
        MaxProbeDrop = reader.GetDouble("Guard:MaxProbeDrop", 0.10, 0, 1),
        MaxPastLossIncrease = reader.GetDouble("Guard:MaxPastLossIncrease", 0.05, 0, 10),
        RejectionLearningRateFactor = reader.GetDouble("Guard:RejectionLearningRateFactor", 0.5, 0.01, 1),
        RejectionReplayStep = reader.GetDouble("Guard:RejectionReplayStep", 0.10, 0, 0.9),
        MaxReplayFraction = reader.GetDouble("Guard:MaxReplayFraction", 0.60, 0, 0.9),
    };

    private static string? ExistingPath(SettingsReader reader, string key)
    {
        var path = reader.GetString(key);
        if (path is null) return null;
        if (!File.Exists(path) && !Directory.Exists(path)) throw SettingsReader.Invalid(key, path, "an existing file or folder");
        return Path.GetFullPath(path);
    }
}
