using ContinualTrainer.Ingestion.Store;
using ContinualTrainer.Ingestion.Watching;

namespace ContinualTrainer.Tests.Ingestion.Store;

/// <summary>When a changed file gets a pass, and whether it counts as complete then.</summary>
public sealed class SettleTrackerTests
{
    private static readonly DateTimeOffset T0 = new(2025, 5, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);
    private readonly Dictionary<string, FileStat> disk = new();

    private FileStat? Stat(string path) => disk.TryGetValue(path, out var stat) ? stat : null;

    private void Write(string path, long size, DateTimeOffset at) =>
        disk[path] = new FileStat(1, 42, size, (at - DateTimeOffset.UnixEpoch).Ticks * 100, IsRegularFile: true);

    [Fact]
    public void A_file_renamed_into_place_is_finished_at_once()
    {
        var tracker = new SettleTracker(Settle);
        Write("a", 10, T0);
        tracker.Touch("a", renamedIn: true);

        Assert.Equal([("a", FileCompleteness.Finished)], tracker.Due(T0, Stat));
        tracker.Passed("a", FileCompleteness.Finished);
        Assert.Equal(0, tracker.Count);
    }

    [Fact]
    public void A_file_written_in_place_grows_until_it_has_not_changed_for_the_settle_time()
    {
        var tracker = new SettleTracker(Settle);
        Write("a", 10, T0);
        tracker.Touch("a", renamedIn: false);

        Assert.Equal([("a", FileCompleteness.Growing)], tracker.Due(T0, Stat));
        tracker.Passed("a", FileCompleteness.Growing);
        Assert.Empty(tracker.Due(T0.AddSeconds(1), Stat));

        Write("a", 20, T0.AddSeconds(1.5));
        Assert.Equal([("a", FileCompleteness.Growing)], tracker.Due(T0.AddSeconds(1.5), Stat));
        tracker.Passed("a", FileCompleteness.Growing);
        Assert.Equal(T0.AddSeconds(3.5), tracker.NextSettle());
        Assert.Empty(tracker.Due(T0.AddSeconds(3.4), Stat));

        Assert.Equal([("a", FileCompleteness.Settled)], tracker.Due(T0.AddSeconds(3.5), Stat));
        tracker.Passed("a", FileCompleteness.Settled);
        Assert.Equal(0, tracker.Count);
    }

    [Fact]
    public void A_file_found_long_after_it_was_written_is_settled_at_once()
    {
        var tracker = new SettleTracker(Settle);
        Write("old", 10, T0.AddHours(-1));
        tracker.Touch("old", renamedIn: false);

        Assert.Equal([("old", FileCompleteness.Settled)], tracker.Due(T0, Stat));
    }

    [Fact]
    public void A_file_that_vanished_is_forgotten()
    {
        var tracker = new SettleTracker(Settle);
        tracker.Touch("gone", renamedIn: false);

        Assert.Empty(tracker.Due(T0, Stat));
        Assert.Equal(0, tracker.Count);
    }
}
