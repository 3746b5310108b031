using ContinualTrainer.Engine.Lora;

namespace ContinualTrainer.Configuration;

/// <summary>Section <c>Training</c>: how a run trains (mode, method, optimizer, learning rate, batches, memory cap).</summary>
public sealed record TrainingRunOptions
{
    /// <summary><c>Training:Mode</c>: <c>frozen</c> (context-frozen decision-token training, the default) or <c>full</c>.</summary>
    public string Mode { get; init; } = "frozen";

    /// <summary><c>Training:Method</c>: <c>lora</c> (default) or <c>full</c> fine-tuning.</summary>
    public string Method { get; init; } = "lora";

    /// <summary><c>Training:Optimizer</c>: <c>adamw</c> (default), <c>apollo</c> or <c>apollo-mini</c>.</summary>
    public string Optimizer { get; init; } = "adamw";

    /// <summary><c>Training:LearningRate</c>: peak learning rate; default 2e-4 for LoRA, 1e-5 for full fine-tuning.</summary>
    public double LearningRate { get; init; } = 2e-4;

    /// <summary><c>Training:WarmupFraction</c>: share of the steps spent warming up linearly (then cosine decay).</summary>
    public double WarmupFraction { get; init; } = 0.05;

    /// <summary><c>Training:MinLearningRateFraction</c>: the cosine decays to this share of the peak.</summary>
    public double MinLearningRateFraction { get; init; } = 0.1;

    /// <summary><c>Training:Epochs</c>: passes over the training set.</summary>
    public int Epochs { get; init; } = 1;

    /// <summary><c>Training:BatchTokens</c>: token budget of one micro-batch (sequences are packed up to it).</summary>
    public int BatchTokens { get; init; } = 4096;

    /// <summary><c>Training:GradientAccumulation</c>: micro-batches per optimizer step.</summary>
    public int GradientAccumulation { get; init; } = 1;

    /// <summary><c>Training:MaxGradNorm</c>: global-norm clipping; 0 disables it.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary><c>Training:WeightDecay</c>: decoupled weight decay of projection weights / adapters.</summary>
    public double WeightDecay { get; init; } = 0.0;

    /// <summary><c>Training:Seed</c>: seeds the snapshot, the adapters' initial values and the batch order.</summary>
    public int Seed { get; init; } = 1234;

    /// <summary><c>Training:LoraRank</c>, <c>Training:LoraAlpha</c>, <c>Training:LoraTargets</c>, <c>Training:UseRsLora</c>.</summary>
    public int LoraRank { get; init; } = 16;

    public double LoraAlpha { get; init; } = 32;

    public LoraTargets LoraTargets { get; init; } = LoraTargets.All;

    public bool UseRsLora { get; init; }

    /// <summary><c>Training:ApolloRank</c>: projection rank of APOLLO (APOLLO-Mini always uses 1).</summary>
    public int ApolloRank { get; init; } = 256;

    /// <summary>
    /// <c>Training:EwcWeight</c>: λ of elastic weight consolidation, the penalty λ/2 Σ F (θ − θ*)² toward the run's
    /// starting parameters with a diagonal Fisher F of general text kept online across runs; 0 (default) turns it off.
    /// With LoRA it weighs the adapters' drift from their starting point.
    /// </summary>
    public double EwcWeight { get; init; }

    /// <summary><c>Training:EwcDecay</c>: the stored Fisher is multiplied by this before the run's own estimate is added.</summary>
    public double EwcDecay { get; init; } = 0.9;

    /// <summary><c>Training:EwcBatches</c>: replay windows (one per micro-batch) the run's Fisher estimate averages.</summary>
    public int EwcBatches { get; init; } = 16;

    /// <summary>
    /// <c>Training:AnchorWeight</c>: weight of the functional anchor, KL(starting model ‖ trained model) of the
    /// next-token distributions on the replay windows, added to their loss; 0 (default) turns it off.
    /// </summary>
    public double AnchorWeight { get; init; }

    /// <summary><c>Training:AnchorTopK</c>: reference tokens cached per position (the rest share one bucket).</summary>
    public int AnchorTopK { get; init; } = 16;

    /// <summary><c>Training:MaxMemoryMb</c>: a run whose estimated peak memory is larger is refused before it starts.</summary>
    public int MaxMemoryMb { get; init; } = 16384;

    /// <summary><c>Training:Threads</c>: threads for kernels and BLAS; 0 uses every core.</summary>
    public int Threads { get; init; }

    public bool IsLora => Method == "lora";

    public static TrainingRunOptions Read(SettingsReader reader)
    {
        var method = reader.GetChoice("Training:Method", "lora", "lora", "full");
        var targets = reader.GetList("Training:LoraTargets", ["all"]);
        LoraTargets parsed;
        try
        {
            parsed = LoraConfig.ParseTargets(targets);
        }
        catch (ArgumentException)
        {
            throw SettingsReader.Invalid("Training:LoraTargets", string.Join(",", targets), "a list of q, k, v, o, gate, up, down (with or without _proj), or all");
        }
        return new TrainingRunOptions
        {
            Mode = reader.GetChoice("Training:Mode", "frozen", "frozen", "full"),
            Method = method,
            Optimizer = reader.GetChoice("Training:Optimizer", "adamw", "adamw", "apollo", "apollo-mini"),
            LearningRate = reader.GetDouble("Training:LearningRate", method == "lora" ? 2e-4 : 1e-5, 1e-9, 10),
            WarmupFraction = reader.GetDouble("Training:WarmupFraction", 0.05, 0, 0.5),
            MinLearningRateFraction = reader.GetDouble("Training:MinLearningRateFraction", 0.1, 0, 1),
            Epochs = reader.GetInt("Training:Epochs", 1, 1, 100),
            BatchTokens = reader.GetInt("Training:BatchTokens", 4096, 64, 1 << 20),
            GradientAccumulation = reader.GetInt("Training:GradientAccumulation", 1, 1, 1024),
            MaxGradNorm = reader.GetDouble("Training:MaxGradNorm", 1.0, 0, 1e6),
            WeightDecay = reader.GetDouble("Training:WeightDecay", 0.0, 0, 1),
            Seed = reader.GetInt("Training:Seed", 1234, 0, int.MaxValue),
            LoraRank = reader.GetInt("Training:LoraRank", 16, 1, 4096),
            LoraAlpha = reader.GetDouble("Training:LoraAlpha", 32, 1e-6, 1e6),
            LoraTargets = parsed,
            UseRsLora = reader.GetBool("Training:UseRsLora", false),
            ApolloRank = reader.GetInt("Training:ApolloRank", 256, 1, 65536),
            EwcWeight = reader.GetDouble("Training:EwcWeight", 0, 0, 1e12),
            EwcDecay = reader.GetDouble("Training:EwcDecay", 0.9, 0, 1),
            EwcBatches = reader.GetInt("Training:EwcBatches", 16, 1, 4096),
            AnchorWeight = reader.GetDouble("Training:AnchorWeight", 0, 0, 1000),
            AnchorTopK = reader.GetInt("Training:AnchorTopK", 16, 1, 1024),
            MaxMemoryMb = reader.GetInt("Training:MaxMemoryMb", 16384, 64, 1 << 24),
            Threads = reader.GetInt("Training:Threads", 0, 0, 1024),
        };
    }
}
