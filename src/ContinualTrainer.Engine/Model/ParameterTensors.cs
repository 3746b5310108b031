using ContinualTrainer.Engine.Memory;

namespace ContinualTrainer.Engine.Model;

/// <summary>
/// Every parameter of a decoder in one contiguous float32 allocation, sliced into named views in Hugging
/// Face naming (llm.c's ParameterTensors). The same layout serves weights, gradients and optimizer state:
/// a fresh instance is all zeros. Within a layer the order is input_layernorm, q|k|v weights, q|k|v biases,
/// q_norm, k_norm, o_proj, post_attention_layernorm, gate|up, down, so fused views need no copies.
/// With tied embeddings <see cref="LmHead"/> is the embedding view and lm_head.weight has no storage.
/// </summary>
public sealed unsafe class ParameterTensors : IDisposable
{
    private readonly NativeBuffer buffer;
    private readonly List<TensorView> tensors = [];
    private readonly Dictionary<string, TensorView> byName = new(StringComparer.Ordinal);

    /// <summary>Allocates zeroed parameters for <paramref name="config"/>.</summary>
    public ParameterTensors(ModelConfig config)
    {
        Config = config;
        long c = config.HiddenSize, v = config.VocabSize, inner = config.IntermediateSize;
        long qd = config.QDim, kd = config.KvDim, hd = config.HeadDim;
        buffer = new NativeBuffer(CountFloats(config));
        long offset = 0;

        TensorView Add(string name, params long[] shape)
        {
            var view = new TensorView(buffer, name, offset, shape);
            offset += view.Length;
            tensors.Add(view);
            byName.Add(name, view);
            return view;
        }

        EmbedTokens = Add("model.embed_tokens.weight", v, c);
        var layers = new LayerParameters[config.NumLayers];
        for (var i = 0; i < config.NumLayers; i++)
        {
            var p = $"model.layers.{i}.";
            var inputNorm = Add(p + "input_layernorm.weight", c);
            var qkvWeight = new TensorView(buffer, p + "self_attn.qkv_proj.weight", offset, qd + 2 * kd, c);
            Add(p + "self_attn.q_proj.weight", qd, c);
            Add(p + "self_attn.k_proj.weight", kd, c);
            Add(p + "self_attn.v_proj.weight", kd, c);
            TensorView? qkvBias = null;
            if (config.AttentionBias)
            {
                qkvBias = new TensorView(buffer, p + "self_attn.qkv_proj.bias", offset, qd + 2 * kd);
                Add(p + "self_attn.q_proj.bias", qd);
                Add(p + "self_attn.k_proj.bias", kd);
                Add(p + "self_attn.v_proj.bias", kd);
            }
            var qNorm = config.QkNorm ? Add(p + "self_attn.q_norm.weight", hd) : null;
            var kNorm = config.QkNorm ? Add(p + "self_attn.k_norm.weight", hd) : null;
            var oWeight = Add(p + "self_attn.o_proj.weight", c, qd);
            var oBias = config.OutputBias ? Add(p + "self_attn.o_proj.bias", c) : null;
            var postNorm = Add(p + "post_attention_layernorm.weight", c);
            var gateUp = new TensorView(buffer, p + "mlp.gate_up_proj.weight", offset, 2 * inner, c);
            Add(p + "mlp.gate_proj.weight", inner, c);
            Add(p + "mlp.up_proj.weight", inner, c);
            var down = Add(p + "mlp.down_proj.weight", c, inner);
            layers[i] = new LayerParameters
            {
                InputNorm = inputNorm, QkvWeight = qkvWeight, QkvBias = qkvBias, QNorm = qNorm, KNorm = kNorm,
                OWeight = oWeight, OBias = oBias, PostAttentionNorm = postNorm, GateUpWeight = gateUp, DownWeight = down,
            };
        }
        Layers = layers;
        FinalNorm = Add("model.norm.weight", c);
        LmHead = config.TieWordEmbeddings ? EmbedTokens : Add("lm_head.weight", v, c);
    }

    public ModelConfig Config { get; }

    public TensorView EmbedTokens { get; }      // (V, C)

    public IReadOnlyList<LayerParameters> Layers { get; }

    public TensorView FinalNorm { get; }        // (C)

    /// <summary>The output projection (V, C); the embedding view itself when embeddings are tied.</summary>
    public TensorView LmHead { get; }

    /// <summary>Every stored tensor, in memory order, in Hugging Face naming (no fused views).</summary>
    public IReadOnlyList<TensorView> Tensors => tensors;

    /// <summary>Total floats of the allocation.</summary>
    public long Count => buffer.Length;

    /// <summary>Start of the allocation (all parameters as one flat vector, e.g. for an optimizer).</summary>
    public float* Data => buffer.Pointer;

    /// <summary>The tensor with Hugging Face name <paramref name="name"/>.</summary>
    public TensorView this[string name] =>
        byName.TryGetValue(name, out var view) ? view : throw new KeyNotFoundException($"no parameter tensor named '{name}'");

    /// <summary>Floats needed by the parameters of <paramref name="config"/>.</summary>
    public static long CountFloats(ModelConfig config)
    {
        long c = config.HiddenSize, inner = config.IntermediateSize, qd = config.QDim, kd = config.KvDim;
        var layer = c + (qd + 2 * kd) * c + (config.AttentionBias ? qd + 2 * kd : 0) + (config.QkNorm ? 2L * config.HeadDim : 0)
            + c * qd + (config.OutputBias ? c : 0) + c + 2 * inner * c + c * inner;
        return config.VocabSize * c * (config.TieWordEmbeddings ? 1 : 2) + config.NumLayers * layer + c;
    }

    /// <summary>
    /// Hugging Face-style initialisation for benchmarks: embeddings and projection weights normal(0, std),
    /// norm weights 1, biases 0. Each tensor draws from its own generator seeded from (seed, index), so
    /// the result does not depend on thread scheduling, and (the seed mixing being fixed, unlike
    /// <see cref="HashCode"/>'s per-process one) is the same in every process.
    /// </summary>
    public void InitializeRandom(int seed, float std = 0.02f)
    {
        Parallel.For(0, tensors.Count, i =>
        {
            var view = tensors[i];
            var span = view.Span;
            if (view.Name.EndsWith("norm.weight", StringComparison.Ordinal)) span.Fill(1f);
            else if (view.Name.EndsWith(".bias", StringComparison.Ordinal)) span.Clear();
            else FillNormal(span, new Random(unchecked(seed * 1_000_003 + i)), std);
        });
    }

    /// <summary>Reads every tensor from <paramref name="checkpoint"/> (converted to float32), checking shapes.</summary>
    public void Load(HfCheckpoint checkpoint)
    {
        foreach (var view in tensors)
        {
            if (!checkpoint.Contains(view.Name))
                throw new HfCheckpointException(checkpoint.Directory, $"tensor '{view.Name}' is missing");
            var shape = checkpoint.Shape(view.Name);
            if (!shape.SequenceEqual(view.Shape))
                throw new HfCheckpointException(checkpoint.Directory,
                    $"tensor '{view.Name}' has shape ({string.Join(", ", shape)}), expected ({string.Join(", ", view.Shape)})");
            checkpoint.ReadFloat32(view.Name, view.Span);
        }
    }

    public void Dispose() => buffer.Dispose();

    // Box-Muller pairs.
    private static void FillNormal(Span<float> span, Random random, float std)
    {
        for (var i = 0; i < span.Length; i += 2)
        {
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            var radius = std * Math.Sqrt(-2.0 * Math.Log(u1));
            span[i] = (float)(radius * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < span.Length) span[i + 1] = (float)(radius * Math.Sin(2 * Math.PI * u2));
        }
    }
}
