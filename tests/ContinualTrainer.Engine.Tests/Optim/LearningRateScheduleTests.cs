using ContinualTrainer.Engine.Optim;

namespace ContinualTrainer.Engine.Tests.Optim;

public sealed class LearningRateScheduleTests
{
    private readonly LearningRateSchedule schedule = new(peakLearningRate: 1e-3, warmupSteps: 10, totalSteps: 110, minLearningRate: 1e-4);

    [Fact]
    public void Warmup_rises_linearly_to_the_peak()
    {
        Assert.Equal(1e-4, schedule.At(1), 15);
        Assert.Equal(5e-4, schedule.At(5), 15);
        Assert.Equal(1e-3, schedule.At(10), 15);
    }

    [Fact]
    public void Cosine_decay_passes_the_midpoint_and_ends_at_the_floor()
    {
        Assert.Equal((1e-3 + 1e-4) / 2, schedule.At(60), 15);                            // half-way: cos(π/2) = 0
        Assert.Equal(1e-4 + 0.9e-3 * (1 + Math.Cos(Math.PI / 4)) / 2, schedule.At(35), 15); // a quarter: cos(π/4)
        Assert.Equal(1e-4, schedule.At(110), 15);
        Assert.Equal(1e-4, schedule.At(1_000_000), 15);
        for (var t = 11; t < 110; t++) Assert.True(schedule.At(t + 1) < schedule.At(t), $"not decreasing at step {t}");
    }

    [Fact]
    public void No_warmup_starts_at_the_peak()
    {
        var s = new LearningRateSchedule(2e-3, 0, 100, 0);
        Assert.Equal(2e-3 * (1 + Math.Cos(Math.PI / 100)) / 2, s.At(1), 15);
    }

    [Fact]
    public void Rejects_bad_settings_and_step_zero()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LearningRateSchedule(1e-3, 10, 10, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LearningRateSchedule(1e-3, 0, 10, 2e-3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LearningRateSchedule(0, 0, 10, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => schedule.At(0));
    }
}
