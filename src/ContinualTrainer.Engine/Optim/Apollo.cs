using System.Globalization;
using System.Runtime.InteropServices;
using ContinualTrainer.Engine.Blas;
using ContinualTrainer.Engine.IO;
using ContinualTrainer.Engine.Memory;
using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Engine.Optim;

/// <summary>
/// APOLLO and APOLLO-Mini (Zhu et al. 2024, arXiv 2412.05270, Algorithm 1; the authors' apollo_torch): Adam's
/// element-wise learning rates coarsened to one scaling factor per channel (or per tensor), estimated in a
/// random low-rank space so that the state is about 2·r floats per channel instead of 2 per weight.
/// <para>
/// For each projected m×n matrix with gradient G (a 2-D parameter of a <see cref="ParameterGroup.Projected"/>
/// group), per step t:
/// every <see cref="ApolloOptions.UpdateProjectionGap"/> steps P (r × min(m, n), entries N(0, 1/r)) is
/// regenerated from (seed, parameter name, refresh number) by <see cref="RandomProjection"/>, the moments
/// being kept; the projected gradient R = P·Gᵀ (m ≥ n) or P·G (m &lt; n) is (r, C) with C = max(m, n) the
/// unprojected side (apollo_torch's "std" rule: the smaller side is projected; R is stored transposed when
/// m ≥ n so that channels are always columns); M and V are Adam's moments of R and R̃ = M / (sqrt(V) + eps);
/// the scaling is s_c = ||R̃_c|| / (||R_c|| + 1e-8) per channel c (APOLLO), or ||R̃|| / (||R|| + 1e-8) for
/// the whole tensor (APOLLO-Mini); the update U = G ⊙ s is limited by the norm-growth limiter (from the
/// second step on, if ||U|| &gt; γ·ℓ then U is scaled to norm γ·ℓ; ℓ, the previous limited norm, is state);
/// then W -= η_t·α·U with α = sqrt(scale) and the bias correction folded into η_t = lr·sqrt(1 - β2^t) / (1 - β1^t),
/// and finally W *= (1 - lr·λ) (decoupled decay, after the update as in apollo_torch).
/// </para>
/// <para>
/// Every other parameter (1-D tensors, and matrices of groups that are not projected: by default the
/// embedding and an untied lm_head, which apollo_torch's usage leaves to AdamW) is stepped by
/// <see cref="AdamW"/>'s kernel with this optimizer's betas and epsilon.
/// </para>
/// <para>
/// State per projected m×n matrix: M and V (r, max(m, n)) plus two scalars (the limiter norm and the
/// projection's refresh number), i.e. 2·r·max(m, n) + 2 floats, and the seed (in the metadata); never P,
/// which is cached in memory (<see cref="ProjectionCacheBytes"/>) and regenerated on load.
/// Steps are deterministic for a fixed seed and thread count.
/// </para>
/// </summary>
public sealed unsafe class Apollo : IOptimizer
{
    public const string KindName = "apollo";
    public const string MiniKindName = "apollo-mini";

    /// <summary>Added to the norms in the scaling and limiter ratios, as apollo_torch does.</summary>
    private const double NormEpsilon = 1e-8;

    private const string SeedKey = "seed";

    private readonly NativeBuffer state;
    private readonly NativeBuffer projections;
    private readonly NativeBuffer scratch;
    private readonly double[] factors;
    private readonly ApolloSlot[] slots;
    private readonly TensorView[] stateTensors;
    private readonly Dictionary<string, int> indexByName;
    private readonly int maxChannels;

    public Apollo(IReadOnlyList<OptimizerParameter> parameters, ApolloOptions? options = null)
    {
        Options = options ?? ApolloOptions.Default;
        Options.Validate();
        indexByName = AdamW.IndexParameters(parameters);
        Parameters = [.. parameters];
        var rank = Options.Rank;
        state = new NativeBuffer(Parameters.Sum(p => StateFloats(p.Shape, p.Group, Options)));
        projections = new NativeBuffer(Parameters.Where(p => IsProjected(p.Shape, p.Group)).Sum(p => (long)rank * Math.Min(p.Shape[0], p.Shape[1])));
        maxChannels = (int)Parameters.Where(p => IsProjected(p.Shape, p.Group)).Select(p => Math.Max(p.Shape[0], p.Shape[1])).DefaultIfEmpty(0).Max();
        // R (r, C) then four (C) vectors: sums of R̃² and R², channel sums of G², update coefficients.
        scratch = new NativeBuffer(((long)rank + 4) * maxChannels);
        factors = new double[maxChannels];

        slots = new ApolloSlot[Parameters.Count];
        long offset = 0, projectionOffset = 0;
        for (var i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i];
            if (IsProjected(p.Shape, p.Group))
            {
                var rowsAreChannels = p.Shape[0] >= p.Shape[1];
                long channels = Math.Max(p.Shape[0], p.Shape[1]), side = Math.Min(p.Shape[0], p.Shape[1]);
                long moments = rank * channels;
                slots[i] = new ApolloSlot
                {
                    Parameter = p,
                    ChannelsAreRows = rowsAreChannels,
                    ExpAvg = new TensorView(state, p.Name + ".exp_avg", offset, rank, channels),
                    ExpAvgSq = new TensorView(state, p.Name + ".exp_avg_sq", offset + moments, rank, channels),
                    LimiterNorm = new TensorView(state, p.Name + ".limiter_norm", offset + 2 * moments, 1),
                    ProjectionIndex = new TensorView(state, p.Name + ".projection_index", offset + 2 * moments + 1, 1),
                    Projection = new TensorView(projections, p.Name + ".projection", projectionOffset, rank, side),
                };
                offset += 2 * moments + 2;
                projectionOffset += rank * side;
            }
            else
            {
                slots[i] = new ApolloSlot
                {
                    Parameter = p,
                    ExpAvg = new TensorView(state, p.Name + ".exp_avg", offset, [.. p.Shape]),
                    ExpAvgSq = new TensorView(state, p.Name + ".exp_avg_sq", offset + p.Length, [.. p.Shape]),
                };
                offset += 2 * p.Length;
            }
        }
        stateTensors = [.. slots.SelectMany(s => new[] { s.ExpAvg, s.ExpAvgSq, s.LimiterNorm, s.ProjectionIndex }.OfType<TensorView>())];
    }

    public ApolloOptions Options { get; }

    public string Kind => Options.Kind;

    public IReadOnlyList<OptimizerParameter> Parameters { get; }

    public long StepCount { get; private set; }

    public IReadOnlyList<TensorView> StateTensors => stateTensors;

    public long StateBytes => state.Length * sizeof(float);

    /// <summary>Bytes of the in-memory projection matrices (regenerated from the seed, never saved).</summary>
    public long ProjectionCacheBytes => projections.Length * sizeof(float);

    /// <summary>True when a tensor of <paramref name="shape"/> in <paramref name="group"/> gets the projected update.</summary>
    public static bool IsProjected(IReadOnlyList<long> shape, ParameterGroup group) => group.Projected && shape.Count == 2;

    /// <summary>
    /// State floats for a tensor of <paramref name="shape"/>: 2·r·max(m, n) + 2 for a projected m×n matrix,
    /// else AdamW's 2 per element.
    /// </summary>
    public static long StateFloats(IReadOnlyList<long> shape, ParameterGroup group, ApolloOptions options) =>
        IsProjected(shape, group)
            ? 2L * options.Rank * Math.Max(shape[0], shape[1]) + 2
            : AdamW.StateFloats(shape);

    public long StateBytesOf(string parameterName) =>
        indexByName.TryGetValue(parameterName, out var i)
            ? StateFloats(Parameters[i].Shape, Parameters[i].Group, Options) * sizeof(float)
            : throw new KeyNotFoundException($"no parameter named '{parameterName}' in this optimizer");

    public void Step(double learningRate)
    {
        AdamW.CheckLearningRate(learningRate);
        StepCount++;
        var refresh = (StepCount - 1) % Options.UpdateProjectionGap == 0;
        foreach (var slot in slots)
        {
            var p = slot.Parameter;
            var s = AdamWScalars.For(learningRate, p.Group.WeightDecay, Options.Beta1, Options.Beta2, Options.Epsilon, StepCount);
            if (slot.IsProjected) StepProjected(slot, learningRate, s, refresh);
            else AdamWKernel.Update(p.Value, slot.ExpAvg.Data, slot.ExpAvgSq.Data, p.Grad, p.Length, s);
        }
    }

    public void Save(string path) =>
        OptimizerStateFile.Write(path, Kind, StepCount, HyperParameters(), stateTensors);

    /// <inheritdoc/>
    /// <remarks>
    /// Also refuses a different seed, and a refresh number that is not a non-negative integer; that last check
    /// runs after the tensors are read, so on that failure the optimizer is reset to a fresh state.
    /// </remarks>
    public void Load(string path)
    {
        var step = OptimizerStateFile.Read(path, Kind, stateTensors, CheckSeed);
        foreach (var slot in slots.Where(s => s.IsProjected))
        {
            var index = slot.ProjectionIndex!.Data[0];
            if (index >= 0 && index == MathF.Floor(index)) continue;
            StepCount = 0;
            NativeMemory.Clear(state.Pointer, (nuint)state.Length * sizeof(float));
            throw new OptimizerStateException(Path.GetFullPath(path), $"tensor '{slot.ProjectionIndex.Name}' holds {index}, not a refresh number");
        }
        StepCount = step;
        if (StepCount == 0) return;
        foreach (var slot in slots.Where(s => s.IsProjected)) Regenerate(slot);
    }

    public void Dispose()
    {
        state.Dispose();
        projections.Dispose();
        scratch.Dispose();
    }

    /// <summary>The projection currently used for <paramref name="parameterName"/> (for tests).</summary>
    internal TensorView ProjectionOf(string parameterName) => slots[indexByName[parameterName]].Projection
        ?? throw new InvalidOperationException($"parameter '{parameterName}' is not projected");

    private void StepProjected(ApolloSlot slot, double learningRate, AdamWScalars s, bool refresh)
    {
        var p = slot.Parameter;
        int rank = Options.Rank, channels = slot.Channels, side = slot.Side;
        if (refresh)
        {
            var index = slot.ProjectionIndex!.Data;
            *index = StepCount == 1 ? 0 : *index + 1;
            Regenerate(slot);
        }

        var projected = scratch.Pointer;                            // (r, C)
        var normalizedSq = projected + (long)rank * maxChannels;    // (C)
        var projectedSq = normalizedSq + maxChannels;               // (C)
        var gradSq = projectedSq + maxChannels;                     // (C)
        var coef = gradSq + maxChannels;                            // (C)
        var q = slot.Projection!.Data;                              // (r, side)
        if (slot.ChannelsAreRows)   // G (C, side): R = P·Gᵀ
            Gemm.Sgemm(BlasTranspose.None, BlasTranspose.Transpose, rank, channels, side, 1f, q, side, p.Grad, side, 0f, projected, channels);
        else                        // G (side, C): R = P·G
            Gemm.Sgemm(BlasTranspose.None, BlasTranspose.None, rank, channels, side, 1f, q, side, p.Grad, channels, 0f, projected, channels);
        ApolloKernels.MomentsAndChannelSums(slot.ExpAvg.Data, slot.ExpAvgSq.Data, normalizedSq, projectedSq, projected, rank, channels, s);
        ApolloKernels.ChannelSumsOfSquares(gradSq, p.Grad, slot.Rows, slot.Cols, slot.ChannelsAreRows);

        // Scaling factors and the norm of U = G ⊙ s, in double.
        double updateNormSq = 0;
        if (Options.Scaling == ApolloScaling.Channel)
        {
            for (var c = 0; c < channels; c++)
            {
                factors[c] = Math.Sqrt(normalizedSq[c]) / (Math.Sqrt(projectedSq[c]) + NormEpsilon);
                updateNormSq += factors[c] * factors[c] * gradSq[c];
            }
        }
        else
        {
            double normalized = 0, projectedTotal = 0, gradTotal = 0;
            for (var c = 0; c < channels; c++)
            {
                normalized += normalizedSq[c];
                projectedTotal += projectedSq[c];
                gradTotal += gradSq[c];
            }
            var factor = Math.Sqrt(normalized) / (Math.Sqrt(projectedTotal) + NormEpsilon);
            Array.Fill(factors, factor, 0, channels);
            updateNormSq = factor * factor * gradTotal;
        }

        // Norm-growth limiter: from the second step on, the update's norm grows at most by gamma per step.
        var updateNorm = Math.Sqrt(updateNormSq);
        var limiterNorm = slot.LimiterNorm!.Data;
        var limiter = StepCount > 1 ? Math.Max(updateNorm / (*limiterNorm + NormEpsilon), Options.LimiterGamma) / Options.LimiterGamma : 1.0;
        *limiterNorm = (float)(updateNorm / limiter);

        var stepSize = learningRate * Math.Sqrt(1 - Math.Pow(Options.Beta2, StepCount)) / (1 - Math.Pow(Options.Beta1, StepCount));
        var k = -stepSize * Options.Alpha / limiter;
        for (var c = 0; c < channels; c++) coef[c] = (float)(k * factors[c]);
        ApolloKernels.ScaledUpdate(p.Value, p.Grad, coef, slot.Rows, slot.Cols, slot.ChannelsAreRows, s.Decay);
    }

    private void Regenerate(ApolloSlot slot)
    {
        var key = RandomProjection.Key(Options.Seed, slot.Parameter.Name, (long)slot.ProjectionIndex!.Data[0]);
        RandomProjection.Fill(slot.Projection!.Data, Options.Rank, slot.Side, key);
    }

    private void CheckSeed(IReadOnlyDictionary<string, string> metadata, string path)
    {
        var expected = OptimizerStateFile.Format(Options.Seed);
        if (!metadata.TryGetValue(SeedKey, out var seed) || seed != expected)
            throw new OptimizerStateException(path, $"was saved with projection seed '{SafeTensorsFormatException.Printable(seed ?? "")}'; this optimizer uses seed {expected}");
    }

    private IEnumerable<KeyValuePair<string, string>> HyperParameters() =>
    [
        KeyValuePair.Create(SeedKey, OptimizerStateFile.Format(Options.Seed)),
        KeyValuePair.Create("scaling", Options.Scaling.ToString().ToLowerInvariant()),
        KeyValuePair.Create("rank", Options.Rank.ToString(CultureInfo.InvariantCulture)),
        KeyValuePair.Create("scale", OptimizerStateFile.Format(Options.Scale)),
        KeyValuePair.Create("update_proj_gap", Options.UpdateProjectionGap.ToString(CultureInfo.InvariantCulture)),
        KeyValuePair.Create("beta1", OptimizerStateFile.Format(Options.Beta1)),
        KeyValuePair.Create("beta2", OptimizerStateFile.Format(Options.Beta2)),
        KeyValuePair.Create("epsilon", OptimizerStateFile.Format(Options.Epsilon)),
        KeyValuePair.Create("limiter_gamma", OptimizerStateFile.Format(Options.LimiterGamma)),
        .. OptimizerStateFile.GroupMetadata(Parameters),
    ];
}
