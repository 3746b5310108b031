using ContinualTrainer.Engine.Memory;
using ContinualTrainer.Engine.Optim;

namespace ContinualTrainer.Engine.Tests.Optim;

/// <summary>Parameters with values and gradients in native buffers of their own, for optimizer tests.</summary>
internal sealed unsafe class TrainableSet : IDisposable
{
    private readonly List<NativeBuffer> buffers = [];

    public List<OptimizerParameter> Parameters { get; } = [];

    public OptimizerParameter this[string name] => Parameters.Single(p => p.Name == name);

    /// <summary>Adds a zeroed parameter; values uniform in [-scale, scale) when <paramref name="seed"/> is given.</summary>
    public OptimizerParameter Add(string name, ParameterGroup group, long[] shape, int? seed = null, float scale = 1f)
    {
        var length = shape.Aggregate(1L, (a, b) => a * b);
        var values = new NativeBuffer(length);
        var grads = new NativeBuffer(length);
        buffers.Add(values);
        buffers.Add(grads);
        var p = new OptimizerParameter(name, values.Pointer, grads.Pointer, shape, group);
        if (seed is int s) Kernels.TestData.Uniform(s, (int)length, scale).CopyTo(p.ValueSpan);
        Parameters.Add(p);
        return p;
    }

    /// <summary>Sets every gradient to seeded uniform values (a different draw per parameter and seed).</summary>
    public void RandomGradients(int seed, float scale = 1f)
    {
        for (var i = 0; i < Parameters.Count; i++)
            Kernels.TestData.Uniform(seed * 1000 + i, (int)Parameters[i].Length, scale).CopyTo(Parameters[i].GradSpan);
    }

    /// <summary>A copy of every parameter's values, by name.</summary>
    public Dictionary<string, float[]> Snapshot() => Parameters.ToDictionary(p => p.Name, p => p.ValueSpan.ToArray());

    public void Dispose()
    {
        foreach (var b in buffers) b.Dispose();
    }
}
