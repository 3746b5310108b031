using ContinualTrainer.Tests.Support;
using Microsoft.Data.Sqlite;

namespace ContinualTrainer.Tests.Training;

/// <summary>
/// The cron schedule lives in Quartz's job store in state.db: the real daemon in a child process, stopped and started
/// again on the same state folder with the store edited in between as a downtime over a scheduled time would leave it.
/// </summary>
public sealed class ScheduleTests
{
    private static readonly DateTimeOffset ThreeAmToday = new(DateTimeOffset.UtcNow.UtcDateTime.Date.AddHours(3), TimeSpan.Zero);

    private static Dictionary<string, string?> Environment(NotifySocket socket) => new()
    {
        ["NOTIFY_SOCKET"] = socket.Name,
        ["CONTINUAL_TRAINER__Metrics__Listen"] = "127.0.0.1:0",
        ["CONTINUAL_TRAINER__Schedule__Cron"] = "0 0 3 * * ?",
        ["CONTINUAL_TRAINER__Schedule__TimeZone"] = "UTC",
    };

    private static async Task StartAndStopAsync(TempDir dir, TimeSpan stayUp)
    {
        using var socket = new NotifySocket(dir.Path);
        using var daemon = DaemonProcess.Start(dir.Path, Environment(socket), "run");
        Assert.True(await socket.WaitForAsync("READY=1", TimeSpan.FromSeconds(10)), daemon.Output);
        await WaitForScheduleAsync(daemon);
        await Task.Delay(stayUp);
        daemon.Signal(DaemonProcess.SIGTERM);
        Assert.True(await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10)), daemon.Output);
        Assert.Equal(0, daemon.ExitCode);
    }

    /// <summary>The scheduler writes its trigger in the background after READY=1; its log line says it is done.</summary>
    private static async Task WaitForScheduleAsync(DaemonProcess daemon)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!daemon.Output.Contains("training scheduled by cron", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "no 'training scheduled' log line within 10 s: " + daemon.Output);
            await Task.Delay(50);
        }
    }

    private static SqliteConnection Open(TempDir dir)
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(dir.Path, "var", "state.db")};Pooling=False");
        connection.Open();
        return connection;
    }

    private static List<(string Trigger, string Result)> Runs(TempDir dir)
    {
        using var connection = Open(dir);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT trigger, result FROM training_runs ORDER BY id";
        using var reader = command.ExecuteReader();
        var runs = new List<(string, string)>();
        while (reader.Read()) runs.Add((reader.GetString(0), reader.GetString(1)));
        return runs;
    }

    private static (long? Previous, long Next, string Cron) StoredTrigger(TempDir dir)
    {
        using var connection = Open(dir);
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT t.PREV_FIRE_TIME, t.NEXT_FIRE_TIME, c.CRON_EXPRESSION FROM QRTZ_TRIGGERS t
            JOIN QRTZ_CRON_TRIGGERS c ON c.SCHED_NAME = t.SCHED_NAME AND c.TRIGGER_NAME = t.TRIGGER_NAME AND c.TRIGGER_GROUP = t.TRIGGER_GROUP
            WHERE t.TRIGGER_NAME = 'schedule'
            """;
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read(), "no cron trigger named 'schedule' in QRTZ_TRIGGERS");
        var previous = reader.IsDBNull(0) ? (long?)null : reader.GetInt64(0);
        var result = (previous is > 0 ? previous : null, reader.GetInt64(1), reader.GetString(2));
        Assert.False(reader.Read(), "more than one cron trigger");
        return result;
    }

    /// <summary>What a daemon that fired at 03:00 two days ago and was down over yesterday's 03:00 leaves in the store.</summary>
    private static void SimulateDowntimeOverAScheduledTime(TempDir dir)
    {
        using var connection = Open(dir);
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE QRTZ_TRIGGERS SET PREV_FIRE_TIME = $prev, NEXT_FIRE_TIME = $next WHERE TRIGGER_NAME = 'schedule'";
        command.Parameters.AddWithValue("$prev", ThreeAmToday.AddDays(-2).UtcTicks);
        command.Parameters.AddWithValue("$next", ThreeAmToday.AddDays(-1).UtcTicks);
        Assert.Equal(1, command.ExecuteNonQuery());
    }

    [Fact]
    public async Task The_cron_trigger_is_kept_in_the_state_database()
    {
        using var dir = new TempDir();
        await StartAndStopAsync(dir, TimeSpan.Zero);
        var (_, next, cron) = StoredTrigger(dir);
        Assert.Equal("0 0 3 * * ?", cron);
        var nextFire = new DateTimeOffset(next, TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromHours(3), nextFire.TimeOfDay);
        Assert.InRange(nextFire - DateTimeOffset.UtcNow, TimeSpan.Zero, TimeSpan.FromDays(1));
        Assert.Empty(Runs(dir));
    }

    [Fact]
    public async Task A_scheduled_time_missed_while_down_fires_once_at_start_up()
    {
        using var dir = new TempDir();
        await StartAndStopAsync(dir, TimeSpan.Zero);
        SimulateDowntimeOverAScheduledTime(dir);

        // Up for a few seconds: the missed time fires once (no model here, so the run is recorded as skipped), not once per missed day.
        await StartAndStopAsync(dir, TimeSpan.FromSeconds(3));
        Assert.Equal([("misfire", "skipped")], Runs(dir));
        var (previous, next, _) = StoredTrigger(dir);
        Assert.NotNull(previous);
        Assert.True(new DateTimeOffset(next, TimeSpan.Zero) > DateTimeOffset.UtcNow, "the trigger did not proceed to the next scheduled time");

        // Nothing was missed since: a restart fires nothing.
        await StartAndStopAsync(dir, TimeSpan.FromSeconds(2));
        Assert.Single(Runs(dir));
    }

    [Fact]
    public async Task A_changed_cron_replaces_the_stored_trigger_without_firing()
    {
        using var dir = new TempDir();
        await StartAndStopAsync(dir, TimeSpan.Zero);
        SimulateDowntimeOverAScheduledTime(dir);
        using (var socket = new NotifySocket(dir.Path))
        {
            var environment = Environment(socket);
            environment["CONTINUAL_TRAINER__Schedule__Cron"] = "0 30 4 ? * SUN";
            using var daemon = DaemonProcess.Start(dir.Path, environment, "run");
            Assert.True(await socket.WaitForAsync("READY=1", TimeSpan.FromSeconds(10)), daemon.Output);
            await WaitForScheduleAsync(daemon);
            await Task.Delay(TimeSpan.FromSeconds(2));
            daemon.Signal(DaemonProcess.SIGTERM);
            Assert.True(await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10)), daemon.Output);
        }
        var (_, next, cron) = StoredTrigger(dir);
        Assert.Equal("0 30 4 ? * SUN", cron);
        var nextFire = new DateTimeOffset(next, TimeSpan.Zero);
        Assert.Equal(DayOfWeek.Sunday, nextFire.DayOfWeek);
        Assert.True(nextFire > DateTimeOffset.UtcNow);
        Assert.Empty(Runs(dir));
    }
}
