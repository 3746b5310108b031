using System.Net.Sockets;
using System.Text;

namespace ContinualTrainer.Hosting;

/// <summary>
/// sd_notify(3) written in-project: sends state lines (<c>READY=1</c>, <c>STATUS=...</c>, <c>STOPPING=1</c>,
/// <c>WATCHDOG=1</c>) as datagrams to the Unix socket named by <c>$NOTIFY_SOCKET</c> — a path, or an abstract
/// socket when it starts with <c>@</c>. Disabled (every call a no-op) when the variable is absent.
/// Sending never throws: a broken notify socket must not take the daemon down.
/// </summary>
public sealed class SystemdNotifier : IDisposable
{
    private readonly Lock gate = new();
    private readonly UnixDomainSocketEndPoint? endpoint;
    private Socket? socket;
    private bool warned;

    public SystemdNotifier(string? notifySocket)
    {
        SocketName = string.IsNullOrEmpty(notifySocket) ? null : notifySocket;
        if (SocketName is not null)
        {
            // Abstract namespace: '@' in the variable stands for the leading NUL byte.
            endpoint = new UnixDomainSocketEndPoint(SocketName[0] == '@' ? "\0" + SocketName[1..] : SocketName);
        }
    }

    public static SystemdNotifier FromEnvironment() => new(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));

    public string? SocketName { get; }
    public bool IsEnabled => endpoint is not null;

    private string? firstError;

    /// <summary>The reason of the first failed send, returned once (one log line; later failures stay silent).</summary>
    public string? TakeFirstError() => Interlocked.Exchange(ref firstError, null);

    /// <summary>Sends one notification (several <c>KEY=VALUE</c> lines may be joined by '\n').</summary>
    /// <returns>True when the datagram was sent.</returns>
    public bool Notify(string state)
    {
        if (endpoint is null) return false;
        var payload = Encoding.UTF8.GetBytes(state);
        lock (gate)
        {
            try
            {
                socket ??= new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
                socket.SendTo(payload, SocketFlags.None, endpoint);
                return true;
            }
            catch (SocketException e)
            {
                if (!warned) firstError = $"sd_notify to {SocketName} failed: {e.Message}";
                warned = true;
                socket?.Dispose();
                socket = null;
                return false;
            }
        }
    }

    /// <summary>One human status line, as systemctl status shows it (newlines are not allowed in it).</summary>
    public bool Status(string line) => Notify("STATUS=" + line.ReplaceLineEndings(" "));

    public void Dispose()
    {
        lock (gate)
        {
            socket?.Dispose();
            socket = null;
        }
    }
}
