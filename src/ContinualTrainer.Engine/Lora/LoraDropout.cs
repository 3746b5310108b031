using ContinualTrainer.Engine.Kernels;

namespace ContinualTrainer.Engine.Lora;

/// <summary>
/// Inverted dropout on an adapter's input with counter-based masks: element (i, c) of a pass is kept when a hash
/// of (key, i * C + c) is at least p * 2^32, and kept elements are scaled by 1 / (1 - p). The key combines the
/// seed, the step and the module, so the backward pass regenerates exactly the forward's mask without storing it,
/// and the masks do not depend on thread scheduling.
/// </summary>
public static unsafe class LoraDropout
{
    /// <summary>The mask key of module <paramref name="moduleIndex"/> at step <paramref name="step"/>.</summary>
    public static ulong Key(int seed, long step, int moduleIndex) =>
        Mix(Mix(Mix((ulong)(uint)seed) ^ (ulong)step) ^ (ulong)(uint)moduleIndex);

    /// <summary>dst = src * mask / (1 - p); dst may be src.</summary>
    public static void Apply(
        float* dst,     // (N, C)
        float* src,     // (N, C)
        int n, int channels, float probability, ulong key)
    {
        var threshold = (uint)Math.Min(uint.MaxValue, probability * 4294967296.0);
        var keepScale = 1f / (1f - probability);
        Parallelism.ForRanges(n, channels, (start, end) =>
        {
            for (var i = start; i < end; i++)
            {
                var counter = (ulong)i * (ulong)channels;
                for (var c = 0; c < channels; c++)
                {
                    var at = (long)i * channels + c;
                    dst[at] = (uint)Mix(key ^ (counter + (ulong)c)) >= threshold ? src[at] * keepScale : 0f;
                }
            }
        });
    }

    // SplitMix64's finaliser: a bijective mix whose low 32 bits are close to uniform.
    private static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
