namespace ContinualTrainer.Engine.Lora;

/// <summary>
/// The shape of a set of LoRA adapters (Hu et al. 2021, as PEFT implements them): each targeted projection
/// y = W x + b becomes y = W x + b + scale * B (A dropout(x)) with A (rank, in) and B (out, rank);
/// scale = alpha / rank, or alpha / sqrt(rank) with rsLoRA. A starts random and B zero, so training starts
/// from the base model. <paramref name="Seed"/> draws A's initial values and the dropout masks.
/// </summary>
public sealed record LoraConfig(int Rank, double Alpha, LoraTargets Targets, bool UseRsLora = false, double Dropout = 0, int Seed = 0)
{
    /// <summary>The projections in layer order with their PEFT module names (the last part of the module path).</summary>
    public static IReadOnlyList<(LoraTargets Target, string Name)> Projections { get; } =
    [
        (LoraTargets.Q, "q_proj"), (LoraTargets.K, "k_proj"), (LoraTargets.V, "v_proj"), (LoraTargets.O, "o_proj"),
        (LoraTargets.Gate, "gate_proj"), (LoraTargets.Up, "up_proj"), (LoraTargets.Down, "down_proj"),
    ];

    /// <summary>The factor on the adapter path: alpha / rank, or alpha / sqrt(rank) with rsLoRA.</summary>
    public double Scale => UseRsLora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;

    /// <summary>PEFT's target_modules for <see cref="Targets"/>, e.g. ["q_proj", "v_proj"].</summary>
    public IReadOnlyList<string> TargetModules => [.. Projections.Where(p => Targets.HasFlag(p.Target)).Select(p => p.Name)];

    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate()
    {
        if (Rank < 1) throw new ArgumentOutOfRangeException(nameof(Rank), Rank, "the LoRA rank must be at least 1");
        if (!(Alpha > 0 && double.IsFinite(Alpha))) throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "the LoRA alpha must be finite and > 0");
        if ((Targets & LoraTargets.All) == LoraTargets.None || (Targets & ~LoraTargets.All) != LoraTargets.None)
            throw new ArgumentOutOfRangeException(nameof(Targets), Targets, "LoRA needs at least one of q, k, v, o, gate, up, down as target");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "the LoRA dropout must be in [0, 1)");
    }

    /// <summary>
    /// Parses target names: each of q, k, v, o, gate, up, down, with or without the <c>_proj</c> suffix
    /// (PEFT's target_modules), or <c>all</c>. Throws on anything else, naming it.
    /// </summary>
    public static LoraTargets ParseTargets(IEnumerable<string> names)
    {
        var targets = LoraTargets.None;
        foreach (var raw in names)
        {
            var name = raw.Trim();
            if (name.Equals("all", StringComparison.OrdinalIgnoreCase))
            {
                targets |= LoraTargets.All;
                continue;
            }
            var stem = name.EndsWith("_proj", StringComparison.OrdinalIgnoreCase) ? name[..^5] : name;
            var match = Projections.FirstOrDefault(p => p.Name[..^5].Equals(stem, StringComparison.OrdinalIgnoreCase));
            if (match.Target == LoraTargets.None)
                throw new ArgumentException($"unknown LoRA target '{raw}': expected q, k, v, o, gate, up, down (optionally with _proj) or all");
            targets |= match.Target;
        }
        return targets;
    }
}
