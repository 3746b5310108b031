using ContinualTrainer.Engine.Kernels;
using ContinualTrainer.Engine.Lora;

namespace ContinualTrainer.Engine.Model;

/// <summary>
/// A Llama / Qwen2 / Qwen3 decoder-only language model in float32 (the semantics of the Hugging Face
/// implementations: RMSNorm, rotate-half RoPE, grouped-query causal attention, Qwen2 q/k/v bias, Qwen3
/// q/k norm, SwiGLU MLP, optionally tied embeddings). Parameters live in one <see cref="ParameterTensors"/>
/// allocation; a forward pass runs in a caller-owned <see cref="ActivationTensors"/> arena and computes
/// logits only for the positions asked for. Optional LoRA adapters add their path to the projections; the
/// backward pass (in TransformerModel.Backward.cs) turns the gradient of the logits into parameter or adapter
/// gradients.
/// </summary>
public sealed unsafe partial class TransformerModel : IDisposable
{
    private readonly RopeTable rope;

    private TransformerModel(ModelConfig config)
    {
        if (config.NumHeads % config.NumKvHeads != 0)
            throw new ArgumentException($"{config.NumHeads} attention heads are not a multiple of {config.NumKvHeads} key/value heads");
        Config = config;
        Parameters = new ParameterTensors(config);
        rope = new RopeTable(config.HeadDim, config.RopeTheta, config.MaxPositionEmbeddings);
    }

    public ModelConfig Config { get; }

    public ParameterTensors Parameters { get; }

    /// <summary>When set, the forward pass adds each kernel's wall time to it.</summary>
    public KernelProfiler? Profiler { get; set; }

    /// <summary>A model with Hugging Face-style random weights (normal(0, std), norms 1, biases 0), for benchmarks and tests.</summary>
    public static TransformerModel CreateRandom(ModelConfig config, int seed, float std = 0.02f)
    {
        var model = new TransformerModel(config);
        model.Parameters.InitializeRandom(seed, std);
        return model;
    }

    /// <summary>Loads the checkpoint directory <paramref name="directory"/> (config.json + safetensors).</summary>
    public static TransformerModel Load(string directory)
    {
        using var checkpoint = HfCheckpoint.Open(directory);
        return Load(checkpoint);
    }

    /// <summary>Builds a model from an opened checkpoint, converting weights to float32.</summary>
    public static TransformerModel Load(HfCheckpoint checkpoint)
    {
        var model = new TransformerModel(checkpoint.Config);
        try
        {
            model.Parameters.Load(checkpoint);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>An arena for batches of up to (B, T); see <see cref="ActivationTensors"/>.</summary>
    public ActivationTensors CreateActivations(int batchSize, int sequenceLength, bool keepEveryLayer = false,
        int? maxLogitRows = null, int? keyCapacity = null) =>
        new(Config, batchSize, sequenceLength, keepEveryLayer, maxLogitRows, keyCapacity);

    /// <summary>
    /// Runs the decoder over <paramref name="batch"/>. Row b's tokens sit at positions start_b .. start_b + len_b - 1,
    /// where start_b is <paramref name="cache"/>'s length for that row (0 without a cache); with a cache they also
    /// attend to its keys/values and append their own. Afterwards <see cref="ActivationTensors.FinalHidden"/> holds
    /// the normed final hidden states (row b*T + t) and <see cref="ActivationTensors.Logits"/> the logits of the rows
    /// listed in <paramref name="logitRows"/> (flat indices b*T + t of valid positions), in that order. With
    /// <paramref name="lora"/> every targeted projection adds its adapter path, scale * B (A x).
    /// </summary>
    public void Forward(ActivationTensors acts, TokenBatch batch, ReadOnlySpan<int> logitRows, KvCache? cache = null, LoraActivations? lora = null) =>
        Run(acts, batch, logitRows, cache, lora, keysOnly: false);

    /// <summary>
    /// Appends the keys and values of <paramref name="batch"/>'s tokens to <paramref name="cache"/> (a frozen training
    /// context, or a prompt before generation): the forward pass with only the work those need — the last layer
    /// stops after its keys and values, and no final norm or logits are computed.
    /// </summary>
    public void FillCache(ActivationTensors acts, TokenBatch batch, KvCache cache, LoraActivations? lora = null) =>
        Run(acts, batch, [], cache, lora, keysOnly: true);

    private void Run(ActivationTensors acts, TokenBatch batch, ReadOnlySpan<int> logitRows, KvCache? cache, LoraActivations? lora, bool keysOnly)
    {
        var c = Config;
        int bsz = batch.BatchSize, t = batch.SequenceLength, n = bsz * t;
        int channels = c.HiddenSize, qd = c.QDim, kd = c.KvDim, qkv = qd + 2 * kd, inner = c.IntermediateSize;
        int heads = c.NumHeads, kvHeads = c.NumKvHeads, hd = c.HeadDim;
        var lengths = batch.Lengths;
        var starts = acts.Starts.AsSpan(0, bsz);
        var keyCapacity = CheckShapes(acts, batch, logitRows, cache, starts);
        CheckLora(lora, bsz, t);

        var p = Parameters;
        var tick = Start();
        Embedding.Forward(acts.Encoded, batch.Tokens, p.EmbedTokens.Data, n, c.VocabSize, channels);
        Stop("embedding", tick);

        var x = acts.Encoded; // (N, C)
        for (var l = 0; l < c.NumLayers; l++)
        {
            var lp = p.Layers[l];
            var la = acts.Layer(l);
            var keys = cache is null ? la.Keys : cache.Keys(l);       // (B, S, KVH, hd)
            var values = cache is null ? la.Values : cache.Values(l); // (B, S, KVH, hd)

            tick = Start();
            RmsNorm.Forward(la.Ln1, la.Ln1Rstd, x, lp.InputNorm.Data, n, channels, c.RmsNormEps);
            Stop("rmsnorm", tick);

            tick = Start();
            Linear.Forward(la.Qkv, la.Ln1, lp.QkvWeight.Data, lp.QkvBias is null ? null : lp.QkvBias.Data, n, channels, qkv);
            Stop("qkv_proj", tick);
            LoraForward(lora, l, LoraGroupKind.Qkv, la.Qkv, la.Ln1, n, qkv);

            tick = Start();
            if (c.QkNorm) HeadRmsNorm.Forward(la.Query, la.QueryRstd, la.Qkv, lp.QNorm!.Data, n, heads, hd, qkv, c.RmsNormEps);
            for (var b = 0; b < bsz; b++)
            {
                var rows = lengths[b];
                var qkvRows = la.Qkv + (long)b * t * qkv;                       // (T, QD + 2 KD)
                var query = la.Query + (long)b * t * qd;                        // (T, NH, hd)
                var keyRows = keys + ((long)b * keyCapacity + starts[b]) * kd;  // (len, KVH, hd)
                var valueRows = values + ((long)b * keyCapacity + starts[b]) * kd;
                if (c.QkNorm)
                {
                    HeadRmsNorm.Forward(keyRows, la.KeyRstd + (long)b * t * kvHeads, qkvRows + qd, lp.KNorm!.Data, rows, kvHeads, hd, qkv, c.RmsNormEps);
                    Rope.Forward(query, query, rope, starts[b], rows, heads, hd, qd);
                    Rope.Forward(keyRows, keyRows, rope, starts[b], rows, kvHeads, hd, kd);
                }
                else
                {
                    Rope.Forward(query, qkvRows, rope, starts[b], rows, heads, hd, qkv);
                    Rope.Forward(keyRows, qkvRows + qd, rope, starts[b], rows, kvHeads, hd, qkv);
                }
                for (var i = 0; i < rows; i++)
                    new ReadOnlySpan<float>(qkvRows + (long)i * qkv + qd + kd, kd).CopyTo(new Span<float>(valueRows + (long)i * kd, kd));
            }
            Stop("qk_norm_rope", tick);
            if (keysOnly && l == c.NumLayers - 1) break;

            tick = Start();
            Attention.Forward(la.Attention, la.AttentionLse, la.Query, keys, values, starts, lengths,
                acts.AttentionScratch, acts.AttentionWorkers, bsz, t, keyCapacity, heads, kvHeads, hd);
            Stop("attention", tick);

            tick = Start();
            Linear.Forward(acts.Projection, la.Attention, lp.OWeight.Data, lp.OBias is null ? null : lp.OBias.Data, n, qd, channels);
            Stop("o_proj", tick);
            LoraForward(lora, l, LoraGroupKind.O, acts.Projection, la.Attention, n, channels);

            tick = Start();
            Residual.Forward(la.Residual2, x, acts.Projection, (long)n * channels);
            Stop("residual", tick);

            tick = Start();
            RmsNorm.Forward(la.Ln2, la.Ln2Rstd, la.Residual2, lp.PostAttentionNorm.Data, n, channels, c.RmsNormEps);
            Stop("rmsnorm", tick);

            tick = Start();
            Linear.Forward(la.GateUp, la.Ln2, lp.GateUpWeight.Data, null, n, channels, 2 * inner);
            Stop("gate_up_proj", tick);
            LoraForward(lora, l, LoraGroupKind.GateUp, la.GateUp, la.Ln2, n, 2 * inner);

            tick = Start();
            SwiGlu.Forward(la.SwiGlu, la.GateUp, la.GateUp + inner, n, inner, 2 * inner);
            Stop("swiglu", tick);

            tick = Start();
            Linear.Forward(acts.Projection, la.SwiGlu, lp.DownWeight.Data, null, n, inner, channels);
            Stop("down_proj", tick);
            LoraForward(lora, l, LoraGroupKind.Down, acts.Projection, la.SwiGlu, n, channels);

            tick = Start();
            Residual.Forward(la.Residual3, la.Residual2, acts.Projection, (long)n * channels);
            Stop("residual", tick);
            x = la.Residual3;
        }

        if (keysOnly)
        {
            acts.LogitRowCount = 0;
            cache?.Advance(lengths);
            return;
        }

        tick = Start();
        RmsNorm.Forward(acts.FinalHidden, acts.FinalRstd, x, p.FinalNorm.Data, n, channels, c.RmsNormEps);
        for (var i = 0; i < logitRows.Length; i++)
        {
            new ReadOnlySpan<float>(acts.FinalHidden + (long)logitRows[i] * channels, channels)
                .CopyTo(new Span<float>(acts.LogitInput + (long)i * channels, channels));
        }
        Stop("final_norm", tick);

        tick = Start();
        Linear.Forward(acts.Logits, acts.LogitInput, p.LmHead.Data, null, logitRows.Length, channels, c.VocabSize);
        Stop("lm_head", tick);

        acts.LogitRowCount = logitRows.Length;
        cache?.Advance(lengths);
    }

    public void Dispose()
    {
        Parameters.Dispose();
        rope.Dispose();
    }

    // Adds the adapter path of group `kind` of layer `layer` (if any adapter is there) to a projection's output.
    private void LoraForward(LoraActivations? lora, int layer, LoraGroupKind kind, float* outp, float* inp, int n, int outStride)
    {
        if (lora?.Adapters.Group(layer, kind) is not { } group) return;
        var tick = Start();
        var config = lora.Adapters.Config;
        LoraLinear.Forward(outp, lora.U(layer, kind), inp, group, lora.DropoutInput, (float)config.Dropout, config.Seed, lora.DropoutStep,
            n, outStride, lora.Adapters.Scale);
        Stop("lora", tick);
    }

    private void CheckLora(LoraActivations? lora, int bsz, int t)
    {
        if (lora is null) return;
        if (lora.Adapters.Model != Config) throw new ArgumentException("the LoRA adapters were made for a different model configuration");
        if (bsz > lora.MaxBatch || t > lora.MaxSequence)
            throw new ArgumentException($"a ({bsz}, {t}) batch does not fit a LoRA arena made for ({lora.MaxBatch}, {lora.MaxSequence})");
    }

    private long Start() => Profiler?.Start() ?? 0;

    private void Stop(string name, long started) => Profiler?.Stop(name, started);

    // Validates the batch against the arena and cache; fills the start positions; returns S, the key store capacity.
    private int CheckShapes(ActivationTensors acts, TokenBatch batch, ReadOnlySpan<int> logitRows, KvCache? cache, Span<int> starts)
    {
        if (acts.Config != Config)
            throw new ArgumentException("the activation arena was made for a different model configuration");
        int bsz = batch.BatchSize, t = batch.SequenceLength;
        if (bsz > acts.MaxBatch || t > acts.MaxSequence)
            throw new ArgumentException($"a ({bsz}, {t}) batch does not fit an arena made for ({acts.MaxBatch}, {acts.MaxSequence})");
        if (logitRows.Length > acts.MaxLogitRows)
            throw new ArgumentException($"{logitRows.Length} logits rows requested; the arena holds {acts.MaxLogitRows}");
        for (var i = 0; i < logitRows.Length; i++)
        {
            var row = logitRows[i];
            if ((uint)row >= (uint)(bsz * t) || row % t >= batch.Lengths[row / t])
                throw new ArgumentOutOfRangeException(nameof(logitRows), $"logits row {row} (request {i}) is not a valid position of the ({bsz}, {t}) batch");
        }
        if (cache is null)
        {
            starts.Clear();
            return t;
        }
        if (bsz > cache.BatchSize)
            throw new ArgumentException($"a batch of {bsz} rows does not fit a KV cache of {cache.BatchSize} rows");
        if (cache.Capacity > acts.KeyCapacity)
            throw new ArgumentException($"the KV cache holds {cache.Capacity} positions; the arena's attention scratch is sized for {acts.KeyCapacity}");
        for (var b = 0; b < bsz; b++)
        {
            starts[b] = cache.Lengths[b];
            if (starts[b] + batch.Lengths[b] > cache.Capacity)
                throw new ArgumentException($"row {b}: {starts[b]} cached + {batch.Lengths[b]} new positions exceed the KV cache capacity {cache.Capacity}");
        }
        return cache.Capacity;
    }
}
