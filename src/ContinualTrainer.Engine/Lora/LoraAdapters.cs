using System.Runtime.InteropServices;
using ContinualTrainer.Engine.Blas;
using ContinualTrainer.Engine.Memory;
using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Optim;

namespace ContinualTrainer.Engine.Lora;

/// <summary>
/// The LoRA adapters of a model for one <see cref="LoraConfig"/>: every A and B in one contiguous allocation
/// and their gradients in a second one of the same layout (the base weights get no gradient storage at all).
/// Per layer the order is the A matrices of q, k, v, o, gate, up, down (those targeted), then the B matrices,
/// so the A matrices of a <see cref="LoraGroup"/> are adjacent. Tensors are named PEFT-style,
/// <c>&lt;module&gt;.lora_A.weight</c> / <c>.lora_B.weight</c>. Saved and loaded in PEFT layout by
/// <see cref="PeftAdapter"/>; <see cref="Merge"/> folds them into the base weights.
/// </summary>
public sealed unsafe class LoraAdapters : IDisposable
{
    private readonly NativeBuffer values;
    private readonly NativeBuffer grads;
    private readonly LoraModule[] modules;
    private readonly LoraGroup?[,] groups;     // (layer, LoraGroupKind)

    /// <summary>Allocates zeroed adapters (call <see cref="InitializeRandom"/> for PEFT's starting point).</summary>
    public LoraAdapters(ModelConfig model, LoraConfig config)
    {
        config.Validate();
        Model = model;
        Config = config;
        var r = config.Rank;
        int c = model.HiddenSize, inner = model.IntermediateSize, qd = model.QDim, kd = model.KvDim;
        var shapes = LoraConfig.Projections.Where(p => config.Targets.HasFlag(p.Target)).Select(p => (p.Target, p.Name, Shape: p.Target switch
        {
            LoraTargets.Q => (In: c, Out: qd, Offset: 0),
            LoraTargets.K => (In: c, Out: kd, Offset: qd),
            LoraTargets.V => (In: c, Out: kd, Offset: qd + kd),
            LoraTargets.O => (In: qd, Out: c, Offset: 0),
            LoraTargets.Gate => (In: c, Out: inner, Offset: 0),
            LoraTargets.Up => (In: c, Out: inner, Offset: inner),
            _ => (In: inner, Out: c, Offset: 0),
        })).ToArray();
        var perLayer = shapes.Sum(s => (long)r * (s.Shape.In + s.Shape.Out));
        values = new NativeBuffer(model.NumLayers * perLayer);
        grads = new NativeBuffer(model.NumLayers * perLayer);
        modules = new LoraModule[model.NumLayers * shapes.Length];
        groups = new LoraGroup?[model.NumLayers, 4];

        long offset = 0;
        for (var l = 0; l < model.NumLayers; l++)
        {
            var aOffsets = new long[shapes.Length];
            for (var j = 0; j < shapes.Length; j++)
            {
                aOffsets[j] = offset;
                offset += (long)r * shapes[j].Shape.In;
            }
            for (var j = 0; j < shapes.Length; j++)
            {
                var (target, name, (inChannels, outChannels, outputOffset)) = shapes[j];
                var path = $"model.layers.{l}.{(target is LoraTargets.Gate or LoraTargets.Up or LoraTargets.Down ? "mlp" : "self_attn")}.{name}";
                modules[l * shapes.Length + j] = new LoraModule
                {
                    Name = path, Index = l * shapes.Length + j, Layer = l, Target = target,
                    InChannels = inChannels, OutChannels = outChannels, OutputOffset = outputOffset,
                    A = new TensorView(values, path + ".lora_A.weight", aOffsets[j], r, inChannels),
                    B = new TensorView(values, path + ".lora_B.weight", offset, outChannels, r),
                    GradA = new TensorView(grads, path + ".lora_A.weight", aOffsets[j], r, inChannels),
                    GradB = new TensorView(grads, path + ".lora_B.weight", offset, outChannels, r),
                };
                offset += (long)r * outChannels;
            }
            foreach (var kind in Enum.GetValues<LoraGroupKind>())
            {
                var members = modules.Skip(l * shapes.Length).Take(shapes.Length).Where(m => GroupOf(m.Target) == kind).ToArray();
                if (members.Length > 0) groups[l, (int)kind] = new LoraGroup { Kind = kind, Modules = members, Rank = r };
            }
        }
        if (offset != values.Length) throw new InvalidOperationException($"LoRA layout takes {offset} floats but {values.Length} were sized");
    }

    public ModelConfig Model { get; }

    public LoraConfig Config { get; }

    /// <summary>scale = alpha / rank (alpha / sqrt(rank) with rsLoRA).</summary>
    public float Scale => (float)Config.Scale;

    /// <summary>Every adapter, layer by layer in projection order.</summary>
    public IReadOnlyList<LoraModule> Modules => modules;

    /// <summary>Floats of the adapters (the gradients take as many again).</summary>
    public long Count => values.Length;

    /// <summary>The adapters of layer <paramref name="layer"/> that read the input of <paramref name="kind"/>; null when none is targeted.</summary>
    public LoraGroup? Group(int layer, LoraGroupKind kind) => groups[layer, (int)kind];

    /// <summary>The adapter on module <paramref name="name"/> (e.g. <c>model.layers.0.self_attn.q_proj</c>).</summary>
    public LoraModule this[string name] =>
        modules.FirstOrDefault(m => m.Name == name) ?? throw new KeyNotFoundException($"no LoRA adapter on module '{name}'");

    /// <summary>
    /// PEFT's default initialisation: A uniform in ±1/sqrt(in) (kaiming_uniform with a = sqrt(5)), B zero, so
    /// the adapted model starts equal to the base model. Each module draws from its own generator seeded from
    /// (<see cref="LoraConfig.Seed"/>, module index): the same seed gives the same adapters.
    /// </summary>
    public void InitializeRandom()
    {
        foreach (var m in modules)
        {
            var random = new Random(unchecked(Config.Seed * 1_000_003 + m.Index));
            var bound = 1.0 / Math.Sqrt(m.InChannels);
            var a = m.A.Span;
            for (var i = 0; i < a.Length; i++) a[i] = (float)((random.NextDouble() * 2 - 1) * bound);
            m.B.Span.Clear();
        }
    }

    /// <summary>
    /// The optimizer's view of the adapters: A and B of every module, paired with their gradients, in one group
    /// (weight decay <paramref name="weightDecay"/>, never projected: the adapters are already low-rank).
    /// </summary>
    public IReadOnlyList<OptimizerParameter> Parameters(double weightDecay)
    {
        var group = new ParameterGroup("lora", weightDecay, Projected: false);
        return [.. modules.SelectMany(m => new[] { new OptimizerParameter(m.A, m.GradA, group), new OptimizerParameter(m.B, m.GradB, group) })];
    }

    /// <summary>Sets every adapter gradient to zero.</summary>
    public void ZeroGradients() => NativeMemory.Clear(grads.Pointer, (nuint)grads.Length * sizeof(float));

    /// <summary>Folds the adapters into <paramref name="weights"/>: W += scale * B A for every module.</summary>
    public void Merge(ParameterTensors weights)
    {
        if (weights.Config != Model) throw new ArgumentException("the weights belong to a different model configuration than the adapters");
        foreach (var m in modules)
        {
            var w = weights[m.BaseWeightName];
            Gemm.Sgemm(BlasTranspose.None, BlasTranspose.None, m.OutChannels, m.InChannels, Config.Rank,
                Scale, m.B.Data, Config.Rank, m.A.Data, m.InChannels, 1f, w.Data, m.InChannels);
        }
    }

    /// <summary>An arena for the adapters' intermediate products over batches of up to (B, T) tokens.</summary>
    public LoraActivations CreateActivations(int batchSize, int sequenceLength, bool training) =>
        new(this, batchSize, sequenceLength, training);

    public void Dispose()
    {
        values.Dispose();
        grads.Dispose();
    }

    private static LoraGroupKind GroupOf(LoraTargets target) => target switch
    {
        LoraTargets.Q or LoraTargets.K or LoraTargets.V => LoraGroupKind.Qkv,
        LoraTargets.O => LoraGroupKind.O,
        LoraTargets.Gate or LoraTargets.Up => LoraGroupKind.GateUp,
        _ => LoraGroupKind.Down,
    };
}
