using Quartz;

namespace ContinualTrainer.Configuration;

/// <summary>Section <c>Schedule</c>: when runs happen and what they wait for.</summary>
public sealed record ScheduleOptions
{
    /// <summary><c>Schedule:Cron</c>: a Quartz cron expression (with seconds); default nightly at 03:00.</summary>
    public string Cron { get; init; } = "0 0 3 * * ?";

    /// <summary><c>Schedule:MinNewExamples</c>: a scheduled run is skipped until this many new examples wait.</summary>
    public int MinNewExamples { get; init; } = 50;

    /// <summary><c>Schedule:TimeZone</c>: the cron's time zone (IANA id); default the machine's local zone.</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Local;

    public static ScheduleOptions Read(SettingsReader reader)
    {
        var cron = reader.GetString("Schedule:Cron", "0 0 3 * * ?")!;
        if (!CronExpression.TryParse(cron, out _))
            throw SettingsReader.Invalid("Schedule:Cron", cron, "a Quartz cron expression with seconds, e.g. \"0 0 3 * * ?\" (03:00 every day)");
        var zoneId = reader.GetString("Schedule:TimeZone");
        TimeZoneInfo zone;
        try
        {
            zone = zoneId is null ? TimeZoneInfo.Local : TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        }
        catch (TimeZoneNotFoundException)
        {
            throw SettingsReader.Invalid("Schedule:TimeZone", zoneId!, "an IANA time zone id such as Europe/Berlin or UTC");
        }
        return new ScheduleOptions
        {
            Cron = cron,
            MinNewExamples = reader.GetInt("Schedule:MinNewExamples", 50, 0, int.MaxValue),
            TimeZone = zone,
        };
    }

    /// <summary>The typical time between two scheduled runs (for the TrainingStalled alert): the gap after the next fire time.</summary>
    public TimeSpan Period(DateTimeOffset now)
    {
        var expression = new CronExpression(Cron, TimeZone);
        var first = expression.GetNextValidTimeAfter(now);
        var second = first is { } f ? expression.GetNextValidTimeAfter(f) : null;
        return first is { } a && second is { } b ? b - a : TimeSpan.FromDays(1);
    }
}
