using System.Numerics.Tensors;

namespace ContinualTrainer.Engine.Model;

/// <summary>
/// Greedy (argmax) continuation of a prompt with a KV cache: the prompt runs once through the model
/// (logits only at its last position), then each new token is one single-position forward pass that
/// attends to the cached keys/values. Buffers are allocated once, for sequences up to <see cref="Capacity"/>.
/// </summary>
public sealed class GreedyDecoder : IDisposable
{
    private readonly TransformerModel model;
    private readonly KvCache cache;               // (1, capacity)
    private readonly ActivationTensors promptActs; // (1, capacity)
    private readonly ActivationTensors stepActs;   // (1, 1)
    private readonly TokenBatch step = new(1, 1);

    public GreedyDecoder(TransformerModel model, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        if (capacity > model.Config.MaxPositionEmbeddings)
            throw new ArgumentOutOfRangeException(nameof(capacity), $"capacity {capacity} exceeds max_position_embeddings {model.Config.MaxPositionEmbeddings}");
        this.model = model;
        Capacity = capacity;
        cache = new KvCache(model.Config, 1, capacity);
        promptActs = model.CreateActivations(1, capacity, maxLogitRows: 1, keyCapacity: capacity);
        stepActs = model.CreateActivations(1, 1, maxLogitRows: 1, keyCapacity: capacity);
    }

    /// <summary>Longest prompt + continuation.</summary>
    public int Capacity { get; }

    /// <summary>
    /// Up to <paramref name="maxNewTokens"/> tokens continuing <paramref name="prompt"/>, each the most likely
    /// next token; stops after emitting <paramref name="stopToken"/> when given.
    /// </summary>
    public int[] Generate(ReadOnlySpan<int> prompt, int maxNewTokens, int? stopToken = null)
    {
        if (prompt.IsEmpty) throw new ArgumentException("greedy decoding needs a prompt of at least one token");
        ArgumentOutOfRangeException.ThrowIfNegative(maxNewTokens);
        if (prompt.Length + maxNewTokens > Capacity)
            throw new ArgumentException($"a {prompt.Length}-token prompt plus {maxNewTokens} new tokens exceed the decoder's capacity of {Capacity}");
        if (maxNewTokens == 0) return [];
        var output = new List<int>(maxNewTokens);

        cache.Clear();
        var promptBatch = new TokenBatch(1, prompt.Length);
        promptBatch.SetRow(0, prompt);
        model.Forward(promptActs, promptBatch, [prompt.Length - 1], cache);
        var next = TensorPrimitives.IndexOfMax(promptActs.LogitsRow(0));
        while (true)
        {
            output.Add(next);
            if (next == stopToken || output.Count == maxNewTokens) return [.. output];
            step.SetRow(0, [next]);
            model.Forward(stepActs, step, [0], cache);
            next = TensorPrimitives.IndexOfMax(stepActs.LogitsRow(0));
        }
    }

    public void Dispose()
    {
        cache.Dispose();
        promptActs.Dispose();
        stepActs.Dispose();
    }
}
