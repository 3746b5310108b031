using System.Globalization;
using ContinualTrainer.Engine.IO;
using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Engine.Optim;

/// <summary>
/// Saves and restores optimizer state as a safetensors file: every state tensor as F32 under its own name,
/// and the optimizer kind, step count and hyper-parameters as string metadata.
/// </summary>
internal static unsafe class OptimizerStateFile
{
    public const string KindKey = "optimizer";
    public const string StepKey = "step";
    public const string VersionKey = "format_version";
    public const string Version = "1";

    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Metadata entries naming each group's weight decay, e.g. <c>weight_decay.no_decay = 0</c>.</summary>
    public static IEnumerable<KeyValuePair<string, string>> GroupMetadata(IEnumerable<OptimizerParameter> parameters) =>
        parameters.Select(p => p.Group).Distinct()
            .Select(g => KeyValuePair.Create($"weight_decay.{g.Name}", Format(g.WeightDecay)));

    public static void Write(string path, string kind, long step, IEnumerable<KeyValuePair<string, string>> hyperParameters, IReadOnlyList<TensorView> tensors)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [KindKey] = kind,
            [StepKey] = Format(step),
            [VersionKey] = Version,
        };
        foreach (var (key, value) in hyperParameters) metadata[key] = value;
        var toWrite = tensors.Select(t => new SafeTensorToWrite(t.Name, SafeTensorDType.F32, [.. t.Shape],
            new NativeFloatMemory(t.Data, checked((int)t.Length)).Memory));
        SafeTensorsWriter.Write(path, toWrite, metadata);
    }

    /// <summary>
    /// Checks that <paramref name="path"/> holds <paramref name="kind"/> state with exactly the names and shapes
    /// of <paramref name="tensors"/> (and whatever <paramref name="checkMetadata"/> requires), then copies it into
    /// them and returns the saved step count. Nothing is modified when a check fails.
    /// </summary>
    public static long Read(string path, string kind, IReadOnlyList<TensorView> tensors, Action<IReadOnlyDictionary<string, string>, string> checkMetadata)
    {
        using var file = SafeTensorsFile.Open(path);
        var fullPath = file.Path;
        if (!file.Metadata.TryGetValue(KindKey, out var savedKind))
            throw new OptimizerStateException(fullPath, $"has no '{KindKey}' metadata; it is not optimizer state");
        if (savedKind != kind)
            throw new OptimizerStateException(fullPath, $"holds '{SafeTensorsFormatException.Printable(savedKind)}' optimizer state; this optimizer is '{kind}'");
        if (!file.Metadata.TryGetValue(VersionKey, out var version) || version != Version)
            throw new OptimizerStateException(fullPath, $"has state format version '{SafeTensorsFormatException.Printable(version ?? "")}'; this build reads version {Version}");
        if (!file.Metadata.TryGetValue(StepKey, out var stepText)
            || !long.TryParse(stepText, NumberStyles.None, CultureInfo.InvariantCulture, out var step))
            throw new OptimizerStateException(fullPath, $"metadata '{StepKey}' is missing or not a non-negative integer");
        checkMetadata(file.Metadata, fullPath);

        foreach (var t in tensors)
        {
            if (!file.Tensors.TryGetValue(t.Name, out var info))
                throw new OptimizerStateException(fullPath, $"tensor '{t.Name}' is missing: the state was saved for a different parameter set");
            if (info.DType != SafeTensorDType.F32)
                throw new OptimizerStateException(fullPath, $"tensor '{t.Name}' has dtype {info.DType.HeaderName()}, expected F32");
            if (!info.Shape.SequenceEqual(t.Shape))
                throw new OptimizerStateException(fullPath,
                    $"tensor '{t.Name}' has shape {SafeTensorInfo.FormatShape(info.Shape)}, expected {SafeTensorInfo.FormatShape([.. t.Shape])}");
        }
        var expected = tensors.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var extra = file.Tensors.Keys.Where(name => !expected.Contains(name)).Order(StringComparer.Ordinal).FirstOrDefault();
        if (extra is not null)
            throw new OptimizerStateException(fullPath, $"tensor '{SafeTensorsFormatException.Printable(extra)}' belongs to no parameter of this optimizer: the state was saved for a different parameter set");

        foreach (var t in tensors) file.ReadFloat32(t.Name, t.Span);
        return step;
    }
}
