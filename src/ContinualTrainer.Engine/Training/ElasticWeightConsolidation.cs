using System.Numerics.Tensors;
using ContinualTrainer.Engine.Optim;

namespace ContinualTrainer.Engine.Training;

/// <summary>
/// Elastic weight consolidation: the penalty λ/2 · Σ F (θ − θ*)² with a diagonal <see cref="FisherInformation"/> F
/// and anchor weights θ* = the trainable parameters when the regularizer is made (the run's start); its gradient
/// λ F (θ − θ*) is added to each step's gradient. With LoRA the trainable parameters are the adapters, so θ* is
/// their starting point (B = 0) and EWC penalizes adapter drift weighted by the Fisher of the adapters.
/// </summary>
public sealed class ElasticWeightConsolidation : IGradientRegularizer
{
    // Floats per partial sum of the penalty (float within a chunk, double across chunks).
    private const int Chunk = 1024;

    private readonly Dictionary<string, (float[] Fisher, float[] Anchor)> terms;

    /// <param name="parameters">The trainable parameters; their current values become θ*.</param>
    /// <param name="fisher">Must cover exactly these parameters, with the same shapes.</param>
    /// <param name="weight">λ, ≥ 0.</param>
    public ElasticWeightConsolidation(IReadOnlyList<OptimizerParameter> parameters, FisherInformation fisher, double weight)
    {
        if (!(weight >= 0 && double.IsFinite(weight))) throw new ArgumentOutOfRangeException(nameof(weight), weight, "the EWC weight must be finite and ≥ 0");
        if (!fisher.Matches(parameters))
            throw new ArgumentException("the Fisher estimate does not cover exactly the trainable parameters (names or shapes differ)", nameof(fisher));
        Weight = weight;
        terms = parameters.ToDictionary(p => p.Name, p => (fisher[p.Name], p.ValueSpan.ToArray()), StringComparer.Ordinal);
    }

    /// <summary>λ.</summary>
    public double Weight { get; }

    public double AddGradient(IReadOnlyList<OptimizerParameter> parameters)
    {
        double penalty = 0;
        var weight = (float)Weight;
        Span<float> delta = stackalloc float[Chunk];   // θ − θ* of one chunk
        Span<float> pull = stackalloc float[Chunk];    // F (θ − θ*)
        foreach (var p in parameters)
        {
            if (!terms.TryGetValue(p.Name, out var term)) throw new ArgumentException($"EWC has no anchor for parameter '{p.Name}'", nameof(parameters));
            var (fisher, anchor) = term;
            var value = p.ValueSpan;
            var grad = p.GradSpan;
            for (var start = 0; start < fisher.Length; start += Chunk)
            {
                var length = Math.Min(Chunk, fisher.Length - start);
                var d = delta[..length];
                var f = pull[..length];
                TensorPrimitives.Subtract(value.Slice(start, length), anchor.AsSpan(start, length), d);
                TensorPrimitives.Multiply(fisher.AsSpan(start, length), d, f);
                penalty += TensorPrimitives.Dot(f, d);
                TensorPrimitives.MultiplyAdd(f, weight, grad.Slice(start, length), grad.Slice(start, length));
            }
        }
        return 0.5 * Weight * penalty;
    }
}
