using ContinualTrainer.Engine.IO;

namespace ContinualTrainer.Configuration;

/// <summary>
/// Section <c>Checkpoints</c>: where model versions are kept (always a local store, plus a storage host over
/// SSH when <c>Checkpoints:Ssh:Host</c> is set), how weights are written, and how many versions are kept.
/// </summary>
public sealed record CheckpointsOptions
{
    /// <summary><c>Checkpoints:Local</c>: the local store (a folder). Default <c>STATE/checkpoints</c>.</summary>
    public required string Local { get; init; }

    /// <summary><c>Checkpoints:WeightsDType</c>: how full fine-tunes store their weights, <c>BF16</c> (default) or <c>F32</c>.</summary>
    public SafeTensorDType WeightsDType { get; init; } = SafeTensorDType.BF16;

    /// <summary><c>Checkpoints:MergedLoraWeights</c>: a LoRA version also stores the merged full weights (default false: the PEFT adapter only).</summary>
    public bool MergedLoraWeights { get; init; }

    /// <summary><c>Checkpoints:KeepLast</c>: the newest N versions are never pruned (default 5).</summary>
    public int KeepLast { get; init; } = 5;

    /// <summary><c>Checkpoints:KeepEvery</c>: every Kth version (v10, v20, ...) is never pruned (default 10; 0 turns it off).</summary>
    public int KeepEvery { get; init; } = 10;

    /// <summary>The storage host, or null when only the local store is used.</summary>
    public CheckpointsSshOptions? Ssh { get; init; }

    public static CheckpointsOptions Read(SettingsReader reader, PathsOptions paths)
    {
        var local = reader.GetString("Checkpoints:Local", paths.Checkpoints)!;
        if (local.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
            throw SettingsReader.Invalid("Checkpoints:Local", local, "a folder path");
        var dtype = reader.GetChoice("Checkpoints:WeightsDType", "BF16", "BF16", "F32");
        return new CheckpointsOptions
        {
            Local = Path.GetFullPath(local),
            WeightsDType = dtype == "F32" ? SafeTensorDType.F32 : SafeTensorDType.BF16,
            MergedLoraWeights = reader.GetBool("Checkpoints:MergedLoraWeights", false),
            KeepLast = reader.GetInt("Checkpoints:KeepLast", 5, 1, 100_000),
            KeepEvery = reader.GetInt("Checkpoints:KeepEvery", 10, 0, 1_000_000),
            Ssh = CheckpointsSshOptions.Read(reader),
        };
    }
}
