namespace ContinualTrainer.Engine.Analysis;

/// <summary>How far a weight matrix moved in a run: relative displacement and the effective rank of the change.</summary>
public static class WeightChange
{
    /// <summary>‖after − before‖_F / ‖before‖_F (0 when both are zero, +∞ when only before is zero).</summary>
    public static double RelativeDisplacement(ReadOnlySpan<float> before, ReadOnlySpan<float> after)
    {
        if (before.Length != after.Length) throw new ArgumentException($"sizes differ: {before.Length} vs {after.Length}");
        double delta = 0, norm = 0;
        for (var i = 0; i < before.Length; i++)
        {
            double d = after[i] - before[i];
            delta += d * d;
            norm += (double)before[i] * before[i];
        }
        if (norm == 0) return delta == 0 ? 0 : double.PositiveInfinity;
        return Math.Sqrt(delta / norm);
    }

    /// <summary>
    /// Effective rank of ΔW = after − before (m × n): the number of leading singular values (randomized SVD
    /// of rank <paramref name="maxRank"/>) that hold 90% of ‖ΔW‖_F². Capped at the number computed
    /// (maxRank + oversampling), which then means "at least".
    /// </summary>
    public static int EffectiveRankOfChange(ReadOnlySpan<float> before, ReadOnlySpan<float> after, int m, int n, int maxRank = 64, int seed = 1234, double energy = 0.9)
    {
        if (before.Length != after.Length) throw new ArgumentException($"sizes differ: {before.Length} vs {after.Length}");
        var delta = new float[before.Length];
        double total = 0;
        for (var i = 0; i < delta.Length; i++)
        {
            delta[i] = after[i] - before[i];
            total += (double)delta[i] * delta[i];
        }
        var singular = RandomizedSvd.SingularValues(delta, m, n, maxRank, seed);
        return RandomizedSvd.EffectiveRank(singular, energy, total);
    }
}
