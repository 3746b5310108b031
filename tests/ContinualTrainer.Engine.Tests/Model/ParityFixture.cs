using ContinualTrainer.Engine.IO;

namespace ContinualTrainer.Engine.Tests.Model;

/// <summary>The inputs and expected outputs of one PyTorch parity fixture (../shared/fixtures/parity/NAME.*).</summary>
internal sealed record ParityFixture(string ModelDirectory, int Batch, int Sequence, int[] InputIds, int[] LossMask, float[] Logits, float Loss)
{
    public static ParityFixture Load(string name)
    {
        using var file = SafeTensorsFile.Open(SharedFixtures.Path("fixtures", "parity", name + ".safetensors"));
        var shape = file.Tensors["input_ids"].Shape;
        return new ParityFixture(
            SharedFixtures.Path("fixtures", "models", name),
            (int)shape[0],
            (int)shape[1],
            file.ReadInt64("input_ids").Select(v => (int)v).ToArray(),
            file.ReadInt64("loss_mask").Select(v => (int)v).ToArray(),
            file.ReadFloat32("logits"),
            file.ReadFloat32("loss")[0]);
    }

    /// <summary>Row b of the input ids.</summary>
    public ReadOnlySpan<int> Row(int b) => InputIds.AsSpan(b * Sequence, Sequence);

    /// <summary>For row b, the first index f with loss_mask = 1; s = f - 1 predicts the first decision token.</summary>
    public int FirstDecision(int b) => Array.IndexOf(LossMask, 1, b * Sequence, Sequence) - b * Sequence;
}
