using ContinualTrainer.Engine.Memory;
using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Engine.Optim;

/// <summary>
/// torch.optim.AdamW (bias correction, decoupled weight decay), reproducing PyTorch's single-tensor CPU path
/// operation by operation in float32 (see <see cref="AdamWKernel"/>). State: the first and second moments,
/// 2 floats per weight, in one native allocation, saved as <c>&lt;param&gt;.exp_avg</c> and
/// <c>&lt;param&gt;.exp_avg_sq</c>. Large tensors are updated on every kernel thread; the update is
/// element-wise, so results are bit-identical for any thread count.
/// </summary>
public sealed unsafe class AdamW : IOptimizer
{
    public const string KindName = "adamw";

    private readonly NativeBuffer state;
    private readonly TensorView[] expAvg;
    private readonly TensorView[] expAvgSq;
    private readonly TensorView[] stateTensors;
    private readonly Dictionary<string, int> indexByName;

    public AdamW(IReadOnlyList<OptimizerParameter> parameters, AdamWOptions? options = null)
    {
        Options = options ?? new AdamWOptions();
        Options.Validate();
        indexByName = IndexParameters(parameters);
        Parameters = [.. parameters];
        state = new NativeBuffer(Parameters.Sum(p => StateFloats(p.Shape)));
        expAvg = new TensorView[Parameters.Count];
        expAvgSq = new TensorView[Parameters.Count];
        long offset = 0;
        for (var i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i];
            expAvg[i] = new TensorView(state, p.Name + ".exp_avg", offset, [.. p.Shape]);
            expAvgSq[i] = new TensorView(state, p.Name + ".exp_avg_sq", offset + p.Length, [.. p.Shape]);
            offset += 2 * p.Length;
        }
        stateTensors = [.. expAvg.Zip(expAvgSq).SelectMany(pair => new[] { pair.First, pair.Second })];
    }

    public AdamWOptions Options { get; }

    public string Kind => KindName;

    public IReadOnlyList<OptimizerParameter> Parameters { get; }

    public long StepCount { get; private set; }

    public IReadOnlyList<TensorView> StateTensors => stateTensors;

    public long StateBytes => state.Length * sizeof(float);

    /// <summary>State floats AdamW keeps for a tensor of <paramref name="shape"/>: its two moments.</summary>
    public static long StateFloats(IReadOnlyList<long> shape) => 2 * shape.Aggregate(1L, (a, b) => a * b);

    public long StateBytesOf(string parameterName) =>
        indexByName.TryGetValue(parameterName, out var i)
            ? StateFloats(Parameters[i].Shape) * sizeof(float)
            : throw new KeyNotFoundException($"no parameter named '{parameterName}' in this optimizer");

    public void Step(double learningRate)
    {
        CheckLearningRate(learningRate);
        StepCount++;
        for (var i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i];
            var s = AdamWScalars.For(learningRate, p.Group.WeightDecay, Options.Beta1, Options.Beta2, Options.Epsilon, StepCount);
            AdamWKernel.Update(p.Value, expAvg[i].Data, expAvgSq[i].Data, p.Grad, p.Length, s);
        }
    }

    public void Save(string path) =>
        OptimizerStateFile.Write(path, Kind, StepCount, HyperParameters(), stateTensors);

    public void Load(string path) =>
        StepCount = OptimizerStateFile.Read(path, Kind, stateTensors, (_, _) => { });

    public void Dispose() => state.Dispose();

    internal static Dictionary<string, int> IndexParameters(IReadOnlyList<OptimizerParameter> parameters)
    {
        if (parameters.Count == 0) throw new ArgumentException("an optimizer needs at least one parameter", nameof(parameters));
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < parameters.Count; i++)
        {
            if (!index.TryAdd(parameters[i].Name, i))
                throw new ArgumentException($"parameter '{parameters[i].Name}' is listed twice", nameof(parameters));
        }
        return index;
    }

    internal static void CheckLearningRate(double learningRate)
    {
        if (!(learningRate >= 0 && double.IsFinite(learningRate)))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "the learning rate must be finite and >= 0");
    }

    private IEnumerable<KeyValuePair<string, string>> HyperParameters() =>
    [
        KeyValuePair.Create("beta1", OptimizerStateFile.Format(Options.Beta1)),
        KeyValuePair.Create("beta2", OptimizerStateFile.Format(Options.Beta2)),
        KeyValuePair.Create("epsilon", OptimizerStateFile.Format(Options.Epsilon)),
        .. OptimizerStateFile.GroupMetadata(Parameters),
    ];
}
