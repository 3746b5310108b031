using System.Numerics.Tensors;
using ContinualTrainer.Engine.Kernels;
using ContinualTrainer.Engine.Lora;

namespace ContinualTrainer.Engine.Model;

public sealed unsafe partial class TransformerModel
{
    /// <summary>
    /// Backpropagates through the forward pass last run in <paramref name="acts"/> (which must keep every layer),
    /// with the same <paramref name="batch"/>, <paramref name="logitRows"/>, <paramref name="cache"/> and
    /// <paramref name="lora"/>. On entry <see cref="ActivationTensors.Logits"/> holds d loss / d logits of the
    /// requested rows (e.g. <see cref="CrossEntropy.Backward"/> run in place); the pass consumes it and the
    /// gathered logit inputs. Parameter gradients are added (+=) into <paramref name="parameterGradients"/> (a
    /// tied lm_head adds into the embedding); pass null to leave the base weights without gradients (LoRA), in
    /// which case only the adapters' gradients are accumulated. With a cache, the cached prefix of each row (a
    /// frozen context) is a constant: its keys and values get no gradient and no work is done for it.
    /// </summary>
    public void Backward(ActivationTensors acts, ActivationGradients grads, ParameterTensors? parameterGradients,
        TokenBatch batch, ReadOnlySpan<int> logitRows, KvCache? cache = null, LoraActivations? lora = null)
    {
        var c = Config;
        int bsz = batch.BatchSize, t = batch.SequenceLength, n = bsz * t;
        int channels = c.HiddenSize, qd = c.QDim, kd = c.KvDim, qkv = qd + 2 * kd, inner = c.IntermediateSize;
        int heads = c.NumHeads, kvHeads = c.NumKvHeads, hd = c.HeadDim, rows = logitRows.Length;
        var keyCapacity = CheckBackwardShapes(acts, grads, parameterGradients, batch, logitRows, cache, lora);
        var lengths = batch.Lengths;
        var starts = acts.Starts.AsSpan(0, bsz);
        var p = Parameters;
        var dp = parameterGradients;

        // lm_head: dW += dlogits^T h; then dh = dlogits W, written over the gathered rows h (read for the last time)
        var tick = Start();
        Linear.Backward(acts.LogitInput, D(dp?.LmHead), null, acts.Logits, acts.LogitInput, p.LmHead.Data, rows, channels, c.VocabSize);
        Stop("lm_head_bw", tick);

        // model.norm over every row; only the requested rows have a gradient
        tick = Start();
        new Span<float>(grads.Normed, n * channels).Clear();
        new Span<float>(grads.Residual, n * channels).Clear();
        for (var i = 0; i < rows; i++)
        {
            var row = new Span<float>(grads.Normed + (long)logitRows[i] * channels, channels);
            TensorPrimitives.Add(row, new ReadOnlySpan<float>(acts.LogitInput + (long)i * channels, channels), row);
        }
        RmsNorm.Backward(grads.Residual, D(dp?.FinalNorm), grads.Normed, acts.Layer(c.NumLayers - 1).Residual3, p.FinalNorm.Data,
            acts.FinalRstd, n, channels);
        Stop("final_norm_bw", tick);

        for (var l = c.NumLayers - 1; l >= 0; l--)
        {
            var lp = p.Layers[l];
            var dl = dp?.Layers[l];
            var la = acts.Layer(l);
            var x = l == 0 ? acts.Encoded : acts.Layer(l - 1).Residual3;  // (N, C) the layer's input
            var keys = cache is null ? la.Keys : cache.Keys(l);            // (B, S, KVH, hd)
            var values = cache is null ? la.Values : cache.Values(l);      // (B, S, KVH, hd)

            // MLP: the residual gradient is the gradient of down_proj's output
            tick = Start();
            Linear.Backward(grads.SwiGlu, D(dl?.DownWeight), null, grads.Residual, la.SwiGlu, lp.DownWeight.Data, n, inner, channels);
            Stop("down_proj_bw", tick);
            LoraBackward(lora, l, LoraGroupKind.Down, grads.SwiGlu, grads.Residual, la.SwiGlu, n, channels);

            tick = Start();
            SwiGlu.Backward(grads.GateUp, grads.GateUp + inner, grads.SwiGlu, la.GateUp, la.GateUp + inner, n, inner, 2 * inner);
            Stop("swiglu_bw", tick);

            tick = Start();
            Linear.Backward(grads.Normed, D(dl?.GateUpWeight), null, grads.GateUp, la.Ln2, lp.GateUpWeight.Data, n, channels, 2 * inner);
            Stop("gate_up_proj_bw", tick);
            LoraBackward(lora, l, LoraGroupKind.GateUp, grads.Normed, grads.GateUp, la.Ln2, n, 2 * inner);

            tick = Start();
            RmsNorm.Backward(grads.Residual, D(dl?.PostAttentionNorm), grads.Normed, la.Residual2, lp.PostAttentionNorm.Data, la.Ln2Rstd, n, channels);
            Stop("rmsnorm_bw", tick);

            // attention
            tick = Start();
            Linear.Backward(grads.Attention, D(dl?.OWeight), D(dl?.OBias), grads.Residual, la.Attention, lp.OWeight.Data, n, qd, channels);
            Stop("o_proj_bw", tick);
            LoraBackward(lora, l, LoraGroupKind.O, grads.Attention, grads.Residual, la.Attention, n, channels);

            tick = Start();
            Attention.Backward(grads.Query, grads.Keys, grads.Values, grads.Attention, la.Query, keys, values, la.Attention, la.AttentionLse,
                starts, lengths, grads.AttentionScratch, grads.AttentionWorkers, bsz, t, keyCapacity, heads, kvHeads, hd);
            Stop("attention_bw", tick);

            tick = Start();
            for (var b = 0; b < bsz; b++)
            {
                var len = lengths[b];
                var dqkvRows = grads.Qkv + (long)b * t * qkv;       // (T, QD + 2 KD)
                var dquery = grads.Query + (long)b * t * qd;        // (T, NH, hd)
                var dkeys = grads.Keys + (long)b * t * kd;          // (T, KVH, hd)
                var dvalues = grads.Values + (long)b * t * kd;      // (T, KVH, hd)
                if (c.QkNorm)
                {
                    Rope.Backward(dquery, dquery, rope, starts[b], len, heads, hd, qd);
                    Rope.Backward(dkeys, dkeys, rope, starts[b], len, kvHeads, hd, kd);
                    HeadRmsNorm.Backward(dqkvRows + qd, D(dl?.KNorm), dkeys, la.Qkv + (long)b * t * qkv + qd, lp.KNorm!.Data,
                        la.KeyRstd + (long)b * t * kvHeads, len, kvHeads, hd, qkv);
                }
                else
                {
                    Rope.Backward(dqkvRows, dquery, rope, starts[b], len, heads, hd, qkv);
                    Rope.Backward(dqkvRows + qd, dkeys, rope, starts[b], len, kvHeads, hd, qkv);
                }
                for (var i = 0; i < len; i++)
                    new ReadOnlySpan<float>(dvalues + (long)i * kd, kd).CopyTo(new Span<float>(dqkvRows + (long)i * qkv + qd + kd, kd));
                new Span<float>(dqkvRows + (long)len * qkv, (t - len) * qkv).Clear();
            }
            if (c.QkNorm) HeadRmsNorm.Backward(grads.Qkv, D(dl?.QNorm), grads.Query, la.Qkv, lp.QNorm!.Data, la.QueryRstd, n, heads, hd, qkv);
            Stop("qk_norm_rope_bw", tick);

            tick = Start();
            Linear.Backward(grads.Normed, D(dl?.QkvWeight), D(dl?.QkvBias), grads.Qkv, la.Ln1, lp.QkvWeight.Data, n, channels, qkv);
            Stop("qkv_proj_bw", tick);
            LoraBackward(lora, l, LoraGroupKind.Qkv, grads.Normed, grads.Qkv, la.Ln1, n, qkv);

            // the first layer's input gradient is only needed for the embedding
            if (l == 0 && dp is null) continue;
            tick = Start();
            RmsNorm.Backward(grads.Residual, D(dl?.InputNorm), grads.Normed, x, lp.InputNorm.Data, la.Ln1Rstd, n, channels);
            Stop("rmsnorm_bw", tick);
        }

        if (dp is null) return;
        tick = Start();
        for (var b = 0; b < bsz; b++)
            Embedding.Backward(dp.EmbedTokens.Data, grads.Residual + (long)b * t * channels, batch.Tokens.Slice(b * t, lengths[b]), lengths[b], c.VocabSize, channels);
        Stop("embedding_bw", tick);
    }

    private static float* D(TensorView? view) => view is null ? null : view.Data;

    // Adds the adapters' part of a projection's backward: adapter gradients, and their share of the input gradient.
    private void LoraBackward(LoraActivations? lora, int layer, LoraGroupKind kind, float* dinp, float* dout, float* inp, int n, int outStride)
    {
        if (lora?.Adapters.Group(layer, kind) is not { } group) return;
        var tick = Start();
        var config = lora.Adapters.Config;
        LoraLinear.Backward(dinp, lora.GradU, dout, lora.U(layer, kind), inp, group, lora.DropoutInput, (float)config.Dropout, config.Seed,
            lora.DropoutStep, n, outStride, lora.Adapters.Scale);
        Stop("lora_bw", tick);
    }

    // Validates a backward call against the arenas of the forward pass; returns S, the key store capacity.
    private int CheckBackwardShapes(ActivationTensors acts, ActivationGradients grads, ParameterTensors? parameterGradients,
        TokenBatch batch, ReadOnlySpan<int> logitRows, KvCache? cache, LoraActivations? lora)
    {
        if (!acts.KeepsEveryLayer) throw new ArgumentException("the backward pass needs an activation arena that keeps every layer (keepEveryLayer)");
        if (grads.Config != Config) throw new ArgumentException("the activation gradient arena was made for a different model configuration");
        if (parameterGradients is not null && parameterGradients.Config != Config)
            throw new ArgumentException("the parameter gradients were allocated for a different model configuration");
        int bsz = batch.BatchSize, t = batch.SequenceLength;
        if (bsz > grads.MaxBatch || t > grads.MaxSequence)
            throw new ArgumentException($"a ({bsz}, {t}) batch does not fit an activation gradient arena made for ({grads.MaxBatch}, {grads.MaxSequence})");
        if (logitRows.Length != acts.LogitRowCount)
            throw new ArgumentException($"{logitRows.Length} logits rows given to the backward pass; the forward pass computed {acts.LogitRowCount}");
        if (lora is not null && !lora.Training) throw new ArgumentException("the backward pass needs a training LoRA arena (one that keeps every layer)");
        var keyCapacity = cache?.Capacity ?? t;
        if (keyCapacity > grads.KeyCapacity)
            throw new ArgumentException($"the key store holds {keyCapacity} positions; the gradient arena's attention scratch is sized for {grads.KeyCapacity}");
        return keyCapacity;
    }
}
