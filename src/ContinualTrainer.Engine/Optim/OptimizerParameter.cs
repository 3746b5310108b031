using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Engine.Optim;

/// <summary>
/// One trainable tensor as an optimizer sees it: its values and its gradient (two float32 blocks of the same
/// row-major shape, e.g. a view of the model's <see cref="ParameterTensors"/> and the matching view of the
/// gradient tensors, or a LoRA adapter held elsewhere) and the group that sets its weight decay.
/// The pointers must stay valid while the optimizer is used; the optimizer never frees them.
/// </summary>
public sealed unsafe class OptimizerParameter
{
    /// <param name="name">Unique name; saved state is keyed by it.</param>
    /// <param name="value">The weights, updated in place by each step.</param>
    /// <param name="grad">The gradient, read by each step.</param>
    /// <param name="shape">Row-major shape; a 2-D shape is (rows, columns) = (out, in) for a projection weight.</param>
    /// <param name="group">Weight decay and projection eligibility.</param>
    public OptimizerParameter(string name, float* value, float* grad, long[] shape, ParameterGroup group)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(group);
        if (value == null || grad == null) throw new ArgumentException($"parameter '{name}': value and gradient pointers must not be null");
        if (shape.Length == 0 || shape.Any(d => d <= 0))
            throw new ArgumentException($"parameter '{name}': shape ({string.Join(", ", shape)}) must have at least one dimension, all positive");
        var length = shape.Aggregate(1L, (a, b) => checked(a * b));
        if (length > int.MaxValue) throw new ArgumentException($"parameter '{name}': {length} elements, more than one tensor may hold ({int.MaxValue})");
        Name = name;
        Value = value;
        Grad = grad;
        Shape = (long[])shape.Clone();
        Length = length;
        Group = group;
    }

    /// <summary>A parameter over a values view and the gradient view of the same name and shape.</summary>
    public OptimizerParameter(TensorView value, TensorView grad, ParameterGroup group)
        : this(value.Name, value.Data, grad.Data, [.. value.Shape], group)
    {
        if (!value.Shape.SequenceEqual(grad.Shape))
            throw new ArgumentException($"parameter '{value.Name}': gradient shape ({string.Join(", ", grad.Shape)}) differs from the value shape ({string.Join(", ", value.Shape)})");
    }

    public string Name { get; }

    /// <summary>First weight.</summary>
    public float* Value { get; }

    /// <summary>First gradient element.</summary>
    public float* Grad { get; }

    public IReadOnlyList<long> Shape { get; }

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    public ParameterGroup Group { get; }

    /// <summary>True for a 2-D tensor.</summary>
    public bool IsMatrix => Shape.Count == 2;

    public Span<float> ValueSpan => new(Value, (int)Length);

    public Span<float> GradSpan => new(Grad, (int)Length);

    public override string ToString() => $"{Name} ({string.Join(", ", Shape)}) [{Group.Name}]";
}
