using ContinualTrainer.Checkpoints;

namespace ContinualTrainer.Tests.Checkpoints;

public sealed class RetryBackoffTests
{
    private static readonly RetryBackoff Backoff = new(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(900));

    [Theory]
    [InlineData(1, 10)]
    [InlineData(2, 20)]
    [InlineData(3, 40)]
    [InlineData(7, 640)]
    [InlineData(8, 900)]
    [InlineData(1000, 900)]
    public void Doubles_per_failure_up_to_the_maximum_with_jitter_in_the_upper_half(int failures, double nominalSeconds)
    {
        Assert.Equal(nominalSeconds / 2, Backoff.Delay(failures, 0).TotalSeconds, 9);
        Assert.Equal(nominalSeconds * 0.75, Backoff.Delay(failures, 0.5).TotalSeconds, 9);
        Assert.True(Backoff.Delay(failures, 0.999999).TotalSeconds <= nominalSeconds);
    }

    [Fact]
    public void Different_random_draws_spread_the_retries()
    {
        var delays = new[] { 0.1, 0.4, 0.9 }.Select(u => Backoff.Delay(3, u)).Distinct().Count();
        Assert.Equal(3, delays);
    }

    [Fact]
    public void Rejects_arguments_outside_their_range()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Backoff.Delay(0, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Backoff.Delay(1, 1.0));
    }
}
