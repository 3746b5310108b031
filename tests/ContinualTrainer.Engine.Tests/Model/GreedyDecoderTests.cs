using System.Numerics.Tensors;
using ContinualTrainer.Engine.Model;

namespace ContinualTrainer.Engine.Tests.Model;

public sealed class GreedyDecoderTests
{
    [SharedTheory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen3-bf16")]
    public void Cached_decoding_picks_the_argmax_of_a_full_forward_pass_at_every_step(string name)
    {
        var fixture = ParityFixture.Load(name);
        using var model = TransformerModel.Load(fixture.ModelDirectory);
        var prompt = fixture.Row(0)[..12].ToArray();
        using var decoder = new GreedyDecoder(model, 32);

        var generated = decoder.Generate(prompt, 10);

        Assert.Equal(ArgmaxByRecomputing(model, prompt, 10), generated);
    }

    [SharedFact]
    public void Stops_after_the_stop_token_and_can_be_reused()
    {
        var fixture = ParityFixture.Load("tiny-llama");
        using var model = TransformerModel.Load(fixture.ModelDirectory);
        using var decoder = new GreedyDecoder(model, 32);
        var prompt = fixture.Row(1)[..6].ToArray();
        var free = decoder.Generate(prompt, 5);

        var stop = free[2];

        var stopped = decoder.Generate(prompt, 5, stopToken: stop);

        Assert.Equal(free[..(Array.IndexOf(free, stop) + 1)], stopped);
    }

    [SharedFact]
    public void Rejects_a_request_beyond_its_capacity()
    {
        var fixture = ParityFixture.Load("tiny-llama");
        using var model = TransformerModel.Load(fixture.ModelDirectory);
        using var decoder = new GreedyDecoder(model, 16);
        var error = Assert.Throws<ArgumentException>(() => decoder.Generate(fixture.Row(0)[..10], 7));
        Assert.Contains("exceed the decoder's capacity of 16", error.Message);
    }

    // The definition: re-run the whole sequence for every new token and take the argmax at its end.
    private static int[] ArgmaxByRecomputing(TransformerModel model, int[] prompt, int count)
    {
        var sequence = prompt.ToList();
        for (var i = 0; i < count; i++)
        {
            var batch = new TokenBatch(1, sequence.Count);
            batch.SetRow(0, sequence.ToArray());
            using var acts = model.CreateActivations(1, sequence.Count);
            model.Forward(acts, batch, [sequence.Count - 1]);
            sequence.Add(TensorPrimitives.IndexOfMax(acts.LogitsRow(0)));
        }
        return sequence.Skip(prompt.Length).ToArray();
    }
}
