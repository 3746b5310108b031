using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Engine.Tests.Model;

/// <summary>The static sizes memory estimates use agree with what the arenas really allocate.</summary>
public sealed class ArenaSizeTests
{
    [Theory]
    [InlineData(1, 1, false, null, null)]
    [InlineData(3, 17, true, null, null)]
    [InlineData(2, 9, false, 0, 40)]
    [InlineData(4, 5, true, 7, 64)]
    public void Activation_floats_match_the_allocated_arena(int batch, int sequence, bool keepEveryLayer, int? logitRows, int? keys)
    {
        var config = TinyConfigs.Qwen3Like;
        using var acts = new ActivationTensors(config, batch, sequence, keepEveryLayer, logitRows, keys);
        Assert.Equal(acts.FloatCount, ActivationTensors.Floats(config, batch, sequence, keepEveryLayer, logitRows, keys));
    }

    [Fact]
    public void Keeping_every_layer_and_every_logit_row_is_what_grows_a_training_arena()
    {
        var config = TinyConfigs.Qwen3Like;
        var inference = ActivationTensors.Floats(config, 2, 16, maxLogitRows: 0);
        var training = ActivationTensors.Floats(config, 2, 16, keepEveryLayer: true);
        // Logits for every row: 32 rows x vocab more; every layer kept: (layers - 1) more layer slots.
        Assert.True(training - inference >= 32L * config.VocabSize);
    }

    [Theory]
    [InlineData(1, 1, null)]
    [InlineData(3, 11, 30)]
    public void Gradient_floats_match_the_allocated_arena(int batch, int sequence, int? keys)
    {
        var config = TinyConfigs.Qwen3Like;
        using var grads = new ActivationGradients(config, batch, sequence, keys);
        Assert.Equal(grads.FloatCount, ActivationGradients.Floats(config, batch, sequence, keys));
    }

    [Fact]
    public void Cache_floats_match_the_allocated_cache()
    {
        var config = TinyConfigs.Qwen3Like;
        using var cache = new KvCache(config, 3, 21);
        Assert.Equal(cache.FloatCount, KvCache.Floats(config, 3, 21));
    }
}
