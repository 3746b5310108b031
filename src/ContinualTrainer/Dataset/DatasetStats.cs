using System.Text.Json.Serialization;

namespace ContinualTrainer.Dataset;

/// <summary>
/// The figures of <c>continual-trainer dataset stats</c> for one tokenizer fingerprint: what the live examples
/// are, what was dropped on the way, and how diverse the decisions are.
/// </summary>
public sealed record DatasetStats
{
    /// <summary>The tokenizer fingerprint the example figures are for.</summary>
    public required string Fingerprint { get; init; }

    /// <summary>The chat format examples are rendered in (<c>chatml</c>, <c>llama3</c>, <c>plain</c>).</summary>
    public required string ChatFormat { get; init; }

    /// <summary>Live examples.</summary>
    public long Examples { get; init; }

    /// <summary>Live examples per conversation category (every category, zeros included).</summary>
    public required IReadOnlyDictionary<string, long> ByCategory { get; init; }

    /// <summary>Live examples per source file.</summary>
    public required IReadOnlyDictionary<string, long> BySource { get; init; }

    /// <summary>Decision tokens of the live examples.</summary>
    public long DecisionTokens { get; init; }

    /// <summary>Context tokens of the live examples.</summary>
    public long ContextTokens { get; init; }

    /// <summary>Examples not stored because an identical one (same context and decision tokens) already was.</summary>
    public long DuplicatesRemoved { get; init; }

    /// <summary>Live examples a training set would drop as near-duplicates of older ones (same rule as <c>dataset build</c>).</summary>
    public long NearDuplicatesRemoved { get; init; }

    /// <summary>Decisions dropped for being shorter than <c>Dataset:MinDecisionTokens</c>.</summary>
    public long TooShort { get; init; }

    /// <summary>Decisions cut at <c>Dataset:MaxDecisionTokens</c>.</summary>
    public long Truncated { get; init; }

    /// <summary>Input lines ingestion left out (malformed, unknown), over the recorded files.</summary>
    public long LinesSkipped { get; init; }

    /// <summary>Input files ingestion quarantined.</summary>
    public long FilesQuarantined { get; init; }

    /// <summary>Distinct word bigrams over all word bigrams of the decision texts (0 when there are none).</summary>
    [JsonPropertyName("distinct_2")]
    public double Distinct2 { get; init; }

    /// <summary>Shannon entropy, in bits, of the examples' category distribution.</summary>
    public double CategoryEntropy { get; init; }

    /// <summary>Live examples no accepted snapshot holds yet.</summary>
    public long ExamplesWaiting { get; init; }

    /// <summary>Conversations derived for this fingerprint.</summary>
    public long Conversations { get; init; }

    /// <summary>Snapshots built for this fingerprint, and how many of them were accepted.</summary>
    public long Snapshots { get; init; }

    public long SnapshotsAccepted { get; init; }
}
