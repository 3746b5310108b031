using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ContinualTrainer.Hosting;

/// <summary>
/// Tells systemd where the daemon is in its life: <c>READY=1</c> with the first status line once every
/// service has started, <c>STATUS=</c> whenever the line changes, <c>STOPPING=1</c> when shutdown begins.
/// </summary>
public sealed partial class SystemdLifecycleService(
    SystemdNotifier notifier,
    StatusBoard board,
    IHostApplicationLifetime lifetime,
    ILogger<SystemdLifecycleService> logger) : IHostedService
{
    private CancellationTokenRegistration started, stopping;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!notifier.IsEnabled) return Task.CompletedTask;
        LogSocket(logger, notifier.SocketName!);
        board.Changed += OnStatusChanged;
        started = lifetime.ApplicationStarted.Register(() => Send("READY=1\nSTATUS=" + board.Line));
        stopping = lifetime.ApplicationStopping.Register(() => Send("STOPPING=1\nSTATUS=stopping"));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        board.Changed -= OnStatusChanged;
        started.Dispose();
        stopping.Dispose();
        return Task.CompletedTask;
    }

    private void OnStatusChanged(string line) => Send("STATUS=" + line.ReplaceLineEndings(" "));

    private void Send(string state)
    {
        if (!notifier.Notify(state) && notifier.TakeFirstError() is { } error) LogSendFailed(logger, error);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "systemd notify socket {Socket}")]
    private static partial void LogSocket(ILogger logger, string socket);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Error}")]
    private static partial void LogSendFailed(ILogger logger, string error);
}
