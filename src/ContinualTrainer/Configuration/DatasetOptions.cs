using System.Globalization;
using ContinualTrainer.Dataset.Rendering;

namespace ContinualTrainer.Configuration;

/// <summary>
/// Section <c>Dataset</c>: how decision examples are cut out of conversations (chat format, token limits)
/// and how a training set is composed (near-duplicates, caps, general replay, rehearsal, validation split).
/// </summary>
public sealed record DatasetOptions
{
    /// <summary>
    /// <c>Dataset:ChatFormat</c>: <c>auto</c> (default: detected from the tokenizer's chat template and special
    /// tokens), <c>chatml</c>, <c>llama3</c> or <c>plain</c>. Null means auto.
    /// </summary>
    public ChatFormat? ChatFormat { get; init; }

    /// <summary><c>Dataset:IncludeThinking</c>: put the assistant's thinking, as a <c>&lt;think&gt;</c> block, into the decision (default false).</summary>
    public bool IncludeThinking { get; init; }

    /// <summary><c>Dataset:MinDecisionTokens</c>: shorter decisions (end-of-turn token included) are dropped and counted (default 8).</summary>
    public int MinDecisionTokens { get; init; } = 8;

    /// <summary><c>Dataset:MaxDecisionTokens</c>: longer decisions are cut at this many tokens (default 256).</summary>
    public int MaxDecisionTokens { get; init; } = 256;

    /// <summary><c>Dataset:MaxContextTokens</c>: context kept before a decision, from the end, the system prompt always kept (default 2048).</summary>
    public int MaxContextTokens { get; init; } = 2048;

    /// <summary><c>Dataset:NearDuplicateThreshold</c>: estimated Jaccard similarity of decision word 3-shingles at or above which a decision is a near-duplicate (default 0.9).</summary>
    public double NearDuplicateThreshold { get; init; } = 0.9;

    /// <summary><c>Dataset:MaxPerSession</c>: new examples one agent session may contribute to one training set (default 200).</summary>
    public int MaxPerSession { get; init; } = 200;

    /// <summary><c>Dataset:MaxPerSourceFile</c>: new examples one source file may contribute to one training set (default 500).</summary>
    public int MaxPerSourceFile { get; init; } = 500;

    /// <summary>
    /// <c>Dataset:GeneralCorpus</c>: a text/JSONL file or a folder of them for general replay and the held-out perplexity
    /// text. When it is not set: the corpus <c>continual-trainer init</c> wrote (<see cref="PathsOptions.GeneralCorpus"/>)
    /// once it exists, else null: none.
    /// </summary>
    public string? GeneralCorpus { get; init; }

    /// <summary><c>Dataset:GeneralHoldoutFraction</c>: share of the general corpus's documents held out for perplexity, never replayed (default 0.1).</summary>
    public double GeneralHoldoutFraction { get; init; } = 0.1;

    /// <summary><c>Dataset:ReplayWindowTokens</c>: tokens per general replay window (default 256).</summary>
    public int ReplayWindowTokens { get; init; } = 256;

    /// <summary><c>Dataset:ReplayFraction</c>: share of a training set's loss-bearing tokens that are general replay (default 0.25).</summary>
    public double ReplayFraction { get; init; } = 0.25;

    /// <summary><c>Dataset:RehearsalFraction</c>: share of a training set's loss-bearing tokens rehearsed from earlier accepted snapshots (default 0.10).</summary>
    public double RehearsalFraction { get; init; } = 0.10;

    /// <summary><c>Dataset:ValidationFraction</c>: share of the new examples held out for validation, by conversation (default 0.1).</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <param name="reader">The configuration.</param>
    /// <param name="paths">The state folder, whose init corpus is the default general corpus; null: no default.</param>
    public static DatasetOptions Read(SettingsReader reader, PathsOptions? paths = null)
    {
        var format = reader.GetChoice("Dataset:ChatFormat", "auto", "auto", ChatFormatNames.ChatMl, ChatFormatNames.Llama3, ChatFormatNames.Plain);
        var minDecision = reader.GetInt("Dataset:MinDecisionTokens", 8, 1, 4096);
        var maxDecision = reader.GetInt("Dataset:MaxDecisionTokens", 256, 1, 32_768);
        if (maxDecision < minDecision)
            throw SettingsReader.Invalid("Dataset:MaxDecisionTokens", maxDecision.ToString(CultureInfo.InvariantCulture),
                $"at least Dataset:MinDecisionTokens ({minDecision.ToString(CultureInfo.InvariantCulture)})");
        var replay = reader.GetDouble("Dataset:ReplayFraction", 0.25, 0, 0.9);
        var rehearsal = reader.GetDouble("Dataset:RehearsalFraction", 0.10, 0, 0.5);
        if (replay + rehearsal > 0.9)
            throw SettingsReader.Invalid("Dataset:RehearsalFraction", rehearsal.ToString(CultureInfo.InvariantCulture),
                $"at most {(0.9 - replay).ToString("0.###", CultureInfo.InvariantCulture)} so that replay and rehearsal together stay at or below 0.9");
        var corpus = reader.GetString("Dataset:GeneralCorpus");
        if (corpus is null && paths is not null && File.Exists(paths.GeneralCorpus)) corpus = paths.GeneralCorpus;
        else if (corpus is not null && !File.Exists(corpus) && !Directory.Exists(corpus))
            throw SettingsReader.Invalid("Dataset:GeneralCorpus", corpus, "an existing text or JSONL file, or a folder of them");
        return new DatasetOptions
        {
            ChatFormat = format == "auto" ? null : ChatFormatNames.Parse(format),
            IncludeThinking = reader.GetBool("Dataset:IncludeThinking", false),
            MinDecisionTokens = minDecision,
            MaxDecisionTokens = maxDecision,
            MaxContextTokens = reader.GetInt("Dataset:MaxContextTokens", 2048, 16, 1_048_576),
            NearDuplicateThreshold = reader.GetDouble("Dataset:NearDuplicateThreshold", 0.9, 0.1, 1.0),
            MaxPerSession = reader.GetInt("Dataset:MaxPerSession", 200, 1, int.MaxValue),
            MaxPerSourceFile = reader.GetInt("Dataset:MaxPerSourceFile", 500, 1, int.MaxValue),
            GeneralCorpus = corpus is null ? null : Path.GetFullPath(corpus),
            GeneralHoldoutFraction = reader.GetDouble("Dataset:GeneralHoldoutFraction", 0.1, 0.01, 0.5),
            ReplayWindowTokens = reader.GetInt("Dataset:ReplayWindowTokens", 256, 16, 65_536),
            ReplayFraction = replay,
            RehearsalFraction = rehearsal,
            ValidationFraction = reader.GetDouble("Dataset:ValidationFraction", 0.1, 0, 0.5),
        };
    }
}
