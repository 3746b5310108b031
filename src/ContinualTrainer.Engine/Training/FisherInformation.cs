using System.Globalization;
using System.Numerics.Tensors;
using ContinualTrainer.Engine.IO;
using ContinualTrainer.Engine.Optim;

namespace ContinualTrainer.Engine.Training;

/// <summary>
/// A diagonal Fisher information estimate over a set of trainable parameters, for
/// <see cref="ElasticWeightConsolidation"/>: the mean over general-text windows of the squared gradient of each
/// window's mean language-modelling loss, one tensor per parameter name. Kept online across runs with
/// <see cref="Combine"/> (F = decay · F_old + F_new) and stored as a safetensors file keyed by parameter name.
/// </summary>
public sealed class FisherInformation
{
    /// <summary>Metadata key naming what the file holds.</summary>
    public const string KindKey = "content";

    public const string Kind = "diagonal_fisher";

    /// <summary>Metadata key of the number of windows the estimate has seen (decayed sums count as whole ones).</summary>
    public const string WindowsKey = "windows";

    private readonly Dictionary<string, (long[] Shape, float[] Values)> tensors;

    /// <param name="tensors">Each parameter's name, shape and Fisher values (row-major, non-negative).</param>
    /// <param name="windows">Windows behind the estimate.</param>
    public FisherInformation(IEnumerable<(string Name, long[] Shape, float[] Values)> tensors, long windows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(windows);
        this.tensors = new Dictionary<string, (long[], float[])>(StringComparer.Ordinal);
        foreach (var (name, shape, values) in tensors)
        {
            if (shape.Aggregate(1L, (a, b) => a * b) != values.Length)
                throw new ArgumentException($"Fisher tensor '{name}': {values.Length} values for shape ({string.Join(", ", shape)})");
            if (!this.tensors.TryAdd(name, (shape, values))) throw new ArgumentException($"Fisher tensor '{name}' is given twice");
        }
        Windows = windows;
    }

    /// <summary>Windows behind the estimate.</summary>
    public long Windows { get; }

    public IReadOnlyCollection<string> Names => tensors.Keys;

    /// <summary>The Fisher values of parameter <paramref name="name"/>.</summary>
    public float[] this[string name] => tensors.TryGetValue(name, out var t) ? t.Values : throw new KeyNotFoundException($"no Fisher tensor for parameter '{name}'");

    /// <summary>True when this estimate has exactly the names and shapes of <paramref name="parameters"/>.</summary>
    public bool Matches(IReadOnlyList<OptimizerParameter> parameters) =>
        parameters.Count == tensors.Count
        && parameters.All(p => tensors.TryGetValue(p.Name, out var t) && t.Shape.SequenceEqual(p.Shape));

    /// <summary>
    /// Estimates the Fisher at the session's current parameters: for each window (one micro-batch each), the
    /// squared gradient of its mean loss, averaged over the windows. Leaves the gradients zeroed.
    /// </summary>
    public static FisherInformation Estimate(TrainingSession session, IReadOnlyList<TrainingExample> windows)
    {
        if (windows.Count == 0) throw new ArgumentException("the Fisher estimate needs at least one window", nameof(windows));
        var parameters = session.Parameters;
        var sums = parameters.Select(p => new float[p.Length]).ToArray();
        foreach (var window in windows)
        {
            session.ZeroGradients();
            session.AccumulateGradients([window]);
            for (var i = 0; i < parameters.Count; i++)
            {
                var grad = parameters[i].GradSpan;
                TensorPrimitives.MultiplyAdd(grad, grad, sums[i], sums[i]);
            }
        }
        session.ZeroGradients();
        foreach (var sum in sums) TensorPrimitives.Multiply(sum, 1f / windows.Count, sum);
        return new FisherInformation(parameters.Select((p, i) => (p.Name, p.Shape.ToArray(), sums[i])), windows.Count);
    }

    /// <summary>
    /// The online estimate: decay · <paramref name="previous"/> + <paramref name="fresh"/> (either may be null;
    /// null when both are). A previous estimate whose names or shapes differ from the fresh one is dropped.
    /// </summary>
    public static FisherInformation? Combine(FisherInformation? previous, FisherInformation? fresh, double decay)
    {
        if (!(decay is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "the Fisher decay must be in [0, 1]");
        if (fresh is null) return previous;
        if (previous is null || !previous.SameLayout(fresh)) return fresh;
        var combined = fresh.tensors.Select(pair =>
        {
            var (old, now) = (previous.tensors[pair.Key].Values, pair.Value.Values);
            var values = new float[now.Length];
            for (var j = 0; j < values.Length; j++) values[j] = (float)(decay * old[j] + now[j]);
            return (pair.Key, pair.Value.Shape, values);
        });
        return new FisherInformation(combined, previous.Windows + fresh.Windows);
    }

    /// <summary>Writes the estimate (F32 tensors named after the parameters) atomically to <paramref name="path"/>.</summary>
    public void Save(string path)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [KindKey] = Kind,
            [WindowsKey] = Windows.ToString(CultureInfo.InvariantCulture),
        };
        SafeTensorsWriter.Write(path, tensors.Select(t => new SafeTensorToWrite(t.Key, SafeTensorDType.F32, t.Value.Shape, t.Value.Values)), metadata);
    }

    /// <summary>Reads an estimate written by <see cref="Save"/>.</summary>
    public static FisherInformation Load(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        if (!file.Metadata.TryGetValue(KindKey, out var kind) || kind != Kind)
            throw new SafeTensorsFormatException(file.Path, null, $"metadata '{KindKey}' is not '{Kind}': the file is not a Fisher estimate");
        if (!file.Metadata.TryGetValue(WindowsKey, out var text) || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var windows))
            throw new SafeTensorsFormatException(file.Path, null, $"metadata '{WindowsKey}' is missing or not a non-negative integer");
        var read = new List<(string, long[], float[])>();
        foreach (var (name, info) in file.Tensors.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            if (info.DType != SafeTensorDType.F32)
                throw new SafeTensorsFormatException(file.Path, name, $"dtype {info.DType.HeaderName()}, expected F32");
            var values = file.ReadFloat32(name);
            if (values.Any(v => !(v >= 0 && float.IsFinite(v))))
                throw new SafeTensorsFormatException(file.Path, name, "holds a negative or non-finite Fisher value");
            read.Add((name, [.. info.Shape], values));
        }
        return new FisherInformation(read, windows);
    }

    private bool SameLayout(FisherInformation other) =>
        tensors.Count == other.tensors.Count
        && tensors.All(pair => other.tensors.TryGetValue(pair.Key, out var t) && t.Shape.SequenceEqual(pair.Value.Shape));
}
