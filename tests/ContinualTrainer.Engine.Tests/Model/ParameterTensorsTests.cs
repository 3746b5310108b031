using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Engine.Tests.Model;

public sealed class ParameterTensorsTests
{
    [Fact]
    public void Tensors_have_the_hugging_face_names_and_shapes_of_the_config()
    {
        var config = TinyConfigs.Qwen3Like;
        using var parameters = new ParameterTensors(config);
        var expected = HfCheckpoint.ExpectedTensors(config).Select(e => $"{e.Name} ({string.Join(", ", e.Shape)})").Order();
        Assert.Equal(expected, parameters.Tensors.Select(v => v.ToString()).Order());
        Assert.Equal(parameters.Count, parameters.Tensors.Sum(v => v.Length));
        Assert.Equal(ParameterTensors.CountFloats(config), parameters.Count);
    }

    [Fact]
    public void Tensors_tile_one_allocation_and_fused_views_cover_their_parts()
    {
        using var parameters = new ParameterTensors(TinyConfigs.Qwen3Like);
        long offset = 0;
        foreach (var view in parameters.Tensors)
        {
            Assert.Equal(offset, view.Offset);
            offset += view.Length;
        }
        var layer = parameters.Layers[1];
        var q = parameters["model.layers.1.self_attn.q_proj.weight"];
        Assert.Equal(q.Offset, layer.QkvWeight.Offset);
        Assert.Equal(parameters["model.layers.1.self_attn.v_proj.weight"].Offset + parameters["model.layers.1.self_attn.v_proj.weight"].Length,
            layer.QkvWeight.Offset + layer.QkvWeight.Length);
        Assert.Equal(parameters["model.layers.1.self_attn.q_proj.bias"].Offset, layer.QkvBias!.Offset);
        Assert.Equal(parameters["model.layers.1.mlp.gate_proj.weight"].Offset, layer.GateUpWeight.Offset);
        Assert.Equal(parameters["model.layers.1.mlp.up_proj.weight"].Offset + parameters["model.layers.1.mlp.up_proj.weight"].Length,
            layer.GateUpWeight.Offset + layer.GateUpWeight.Length);
    }

    [Fact]
    public void Tied_embeddings_store_no_lm_head()
    {
        var config = TinyConfigs.Qwen3Like with { TieWordEmbeddings = true };
        using var parameters = new ParameterTensors(config);
        Assert.Same(parameters.EmbedTokens, parameters.LmHead);
        Assert.DoesNotContain(parameters.Tensors, v => v.Name == "lm_head.weight");
        Assert.Throws<KeyNotFoundException>(() => parameters["lm_head.weight"]);
    }

    [Fact]
    public void Random_init_is_reproducible_with_unit_norms_zero_biases_and_the_given_std()
    {
        using var a = new ParameterTensors(TinyConfigs.Qwen3Like);
        using var b = new ParameterTensors(TinyConfigs.Qwen3Like);
        a.InitializeRandom(seed: 7, std: 0.02f);
        b.InitializeRandom(seed: 7, std: 0.02f);
        foreach (var view in a.Tensors) Assert.Equal(view.Span.ToArray(), b[view.Name].Span.ToArray());

        Assert.All(a["model.layers.0.self_attn.q_norm.weight"].Span.ToArray(), w => Assert.Equal(1f, w));
        Assert.All(a["model.norm.weight"].Span.ToArray(), w => Assert.Equal(1f, w));
        Assert.All(a["model.layers.1.self_attn.k_proj.bias"].Span.ToArray(), w => Assert.Equal(0f, w));
        var embedding = a.EmbedTokens.Span.ToArray();
        var std = Math.Sqrt(embedding.Average(x => (double)x * x));
        Assert.InRange(std, 0.018, 0.022);
    }
}
