using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace ContinualTrainer.Hosting;

/// <summary>
/// One line per record with a syslog priority prefix (<c>&lt;3&gt;</c> error ... <c>&lt;7&gt;</c> debug), which
/// journald reads from a service's stdout/stderr and turns into the entry's priority (sd-daemon(3)).
/// Used when the daemon runs under systemd; exceptions are folded onto the same line.
/// </summary>
public sealed class JournaldConsoleFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "journald";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null) return;
        textWriter.Write('<');
        textWriter.Write(Priority(logEntry.LogLevel));
        textWriter.Write('>');
        textWriter.Write(ShortCategory(logEntry.Category));
        textWriter.Write(": ");
        textWriter.Write(OneLine(message));
        if (logEntry.Exception is { } exception)
        {
            textWriter.Write(" | ");
            textWriter.Write(OneLine(exception.ToString()));
        }
        textWriter.Write('\n');
    }

    public static int Priority(LogLevel level) => level switch
    {
        LogLevel.Critical => 2,
        LogLevel.Error => 3,
        LogLevel.Warning => 4,
        LogLevel.Information => 6,
        _ => 7,
    };

    private static string ShortCategory(string category)
    {
        var dot = category.LastIndexOf('.');
        return dot < 0 ? category : category[(dot + 1)..];
    }

    private static string OneLine(string text) => text.Contains('\n') || text.Contains('\r') ? text.ReplaceLineEndings(" ⏎ ") : text;
}
