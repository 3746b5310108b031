using ContinualTrainer.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ContinualTrainer.Tests.Hosting;

public sealed class JournaldConsoleFormatterTests
{
    private static string Format(LogLevel level, string message, Exception? exception = null)
    {
        var formatter = new JournaldConsoleFormatter();
        var writer = new StringWriter();
        var entry = new LogEntry<string>(level, "ContinualTrainer.Hosting.DaemonLoop", new EventId(1), message, exception, (s, _) => s);
        formatter.Write(in entry, null, writer);
        return writer.ToString();
    }

    [Theory]
    [InlineData(LogLevel.Critical, "<2>")]
    [InlineData(LogLevel.Error, "<3>")]
    [InlineData(LogLevel.Warning, "<4>")]
    [InlineData(LogLevel.Information, "<6>")]
    [InlineData(LogLevel.Debug, "<7>")]
    public void Prefixes_each_record_with_its_syslog_priority(LogLevel level, string prefix)
    {
        Assert.Equal(prefix + "DaemonLoop: idle\n", Format(level, "idle"));
    }

    [Fact]
    public void Keeps_a_record_with_newlines_and_an_exception_on_one_line()
    {
        var line = Format(LogLevel.Error, "first\nsecond", new InvalidOperationException("boom"));
        Assert.StartsWith("<3>DaemonLoop: first ⏎ second | System.InvalidOperationException: boom", line);
        Assert.Equal(1, line.Count(c => c == '\n'));
        Assert.EndsWith("\n", line);
    }
}
