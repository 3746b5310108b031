using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Engine.Optim;

/// <summary>Builds the optimizer's parameter list for full fine-tuning of a model.</summary>
public static class OptimizerParameters
{
    /// <summary>
    /// One entry per stored tensor of <paramref name="values"/> (a tied lm_head has no storage, so it appears
    /// once, as the embedding), paired with the same-named tensor of <paramref name="grads"/>, in the
    /// default groups of <see cref="DefaultGroup"/>.
    /// </summary>
    public static IReadOnlyList<OptimizerParameter> FromModel(ParameterTensors values, ParameterTensors grads, double weightDecay) =>
        FromModel(values, grads, name => DefaultGroup(name, weightDecay));

    /// <summary>As above with the group of each tensor chosen by <paramref name="groupOf"/>(name).</summary>
    public static IReadOnlyList<OptimizerParameter> FromModel(ParameterTensors values, ParameterTensors grads, Func<string, ParameterGroup> groupOf)
    {
        if (values.Config != grads.Config)
            throw new ArgumentException("the gradient tensors were allocated for a different model config than the parameters", nameof(grads));
        return values.Tensors.Select(v => new OptimizerParameter(v, grads[v.Name], groupOf(v.Name))).ToList();
    }

    /// <summary>
    /// The default group of a Hugging Face tensor name: norm weights (<c>*norm.weight</c>), biases (<c>*.bias</c>)
    /// and the token embedding get no weight decay; an untied <c>lm_head.weight</c> is decayed but stays on AdamW
    /// under APOLLO (<see cref="ParameterGroup.Head"/>); every other tensor (the attention and MLP projection
    /// weights) is decayed and projected.
    /// </summary>
    public static ParameterGroup DefaultGroup(string name, double weightDecay)
    {
        if (name.EndsWith("norm.weight", StringComparison.Ordinal)
            || name.EndsWith(".bias", StringComparison.Ordinal)
            || name.Contains("embed_tokens", StringComparison.Ordinal))
            return ParameterGroup.NoDecay;
        if (name == "lm_head.weight") return ParameterGroup.Head(weightDecay);
        return ParameterGroup.Projections(weightDecay);
    }
}
