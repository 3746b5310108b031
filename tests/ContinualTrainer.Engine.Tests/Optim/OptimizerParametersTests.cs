using ContinualTrainer.Engine.Model;
using ContinualTrainer.Engine.Optim;
using ContinualTrainer.Engine.Tests.Model;

namespace ContinualTrainer.Engine.Tests.Optim;

public sealed class OptimizerParametersTests
{
    [Fact]
    public void Default_groups_spare_norms_biases_and_embeddings_from_decay_and_projection()
    {
        var config = TinyConfigs.Qwen3Like; // untied, q/k/v biases, q/k norms
        using var values = new ParameterTensors(config);
        using var grads = new ParameterTensors(config);
        var groups = OptimizerParameters.FromModel(values, grads, weightDecay: 0.05).ToDictionary(p => p.Name, p => p.Group);

        Assert.Equal(values.Tensors.Select(t => t.Name), groups.Keys);
        foreach (var name in new[] { "model.embed_tokens.weight", "model.norm.weight", "model.layers.0.input_layernorm.weight",
                     "model.layers.1.self_attn.q_norm.weight", "model.layers.1.self_attn.k_proj.bias" })
            Assert.Equal(ParameterGroup.NoDecay, groups[name]);
        Assert.Equal(new ParameterGroup("lm_head", 0.05, Projected: false), groups["lm_head.weight"]);
        foreach (var name in new[] { "model.layers.0.self_attn.q_proj.weight", "model.layers.1.self_attn.o_proj.weight", "model.layers.1.mlp.down_proj.weight" })
            Assert.Equal(new ParameterGroup("projections", 0.05, Projected: true), groups[name]);
    }

    [Fact]
    public void Tied_embeddings_are_one_parameter_pointing_at_the_two_allocations()
    {
        var config = TinyConfigs.Qwen3Like with { TieWordEmbeddings = true };
        using var values = new ParameterTensors(config);
        using var grads = new ParameterTensors(config);
        var parameters = OptimizerParameters.FromModel(values, grads, weightDecay: 0.01);

        Assert.DoesNotContain(parameters, p => p.Name == "lm_head.weight");
        Assert.Equal(parameters.Count, parameters.Select(p => p.Name).Distinct().Count());
        var embedding = parameters.Single(p => p.Name == "model.embed_tokens.weight");
        unsafe
        {
            Assert.True(embedding.Value == values.EmbedTokens.Data);
            Assert.True(embedding.Grad == grads.EmbedTokens.Data);
        }
        Assert.Equal(values.Count, parameters.Sum(p => p.Length));
    }

    [Fact]
    public void Rejects_gradients_allocated_for_another_config()
    {
        using var values = new ParameterTensors(TinyConfigs.Qwen3Like);
        using var grads = new ParameterTensors(TinyConfigs.Qwen3Like with { NumLayers = 1 });
        Assert.Throws<ArgumentException>(() => OptimizerParameters.FromModel(values, grads, 0.01));
    }

    [Fact]
    public unsafe void Rejects_bad_shapes_and_null_pointers()
    {
        var data = stackalloc float[4];
        Assert.Contains("all positive", Assert.Throws<ArgumentException>(() => new OptimizerParameter("w", data, data, [2, 0], ParameterGroup.NoDecay)).Message);
        Assert.Throws<ArgumentException>(() => new OptimizerParameter("w", null, data, [4], ParameterGroup.NoDecay));
    }
}
