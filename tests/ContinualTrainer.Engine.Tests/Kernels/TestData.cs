namespace ContinualTrainer.Engine.Tests.Kernels;

/// <summary>Seeded random inputs and element-wise comparison for the kernel tests.</summary>
internal static class TestData
{
    public static float[] Uniform(int seed, int length, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (var i = 0; i < length; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])),
                $"{what}[{i}] = {actual[i]}, reference {expected[i]}");
        }
    }
}
