using System.Net.Sockets;
using System.Text;

namespace ContinualTrainer.Tests.Support;

/// <summary>
/// A real Unix datagram socket bound where systemd's would be, collecting what the daemon sends to
/// <c>$NOTIFY_SOCKET</c>. <see cref="Name"/> is the value for the variable (a path, or <c>@name</c> for abstract).
/// </summary>
public sealed class NotifySocket : IDisposable
{
    private readonly Socket socket;
    private readonly List<string> messages = [];
    private readonly CancellationTokenSource stop = new();
    private readonly Task receiver;

    public NotifySocket(string directory, bool isAbstract = false)
    {
        socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        if (isAbstract)
        {
            var name = "ct-test-" + Guid.NewGuid().ToString("N")[..12];
            socket.Bind(new UnixDomainSocketEndPoint("\0" + name));
            Name = "@" + name;
        }
        else
        {
            Name = Path.Combine(directory, "notify.sock");
            socket.Bind(new UnixDomainSocketEndPoint(Name));
        }
        receiver = Task.Run(ReceiveLoop);
    }

    public string Name { get; }

    public IReadOnlyList<string> Messages
    {
        get { lock (messages) return messages.ToList(); }
    }

    public int Count(string line) => Messages.Sum(m => m.Split('\n').Count(l => l == line));

    /// <summary>Waits until a message containing <paramref name="line"/> arrived; false on timeout.</summary>
    public async Task<bool> WaitForAsync(string line, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Messages.Any(m => m.Split('\n').Contains(line))) return true;
            await Task.Delay(20);
        }
        return false;
    }

    private async Task ReceiveLoop()
    {
        var buffer = new byte[4096];
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                lock (messages) messages.Add(Encoding.UTF8.GetString(buffer, 0, n));
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                return;
            }
        }
    }

    public void Dispose()
    {
        stop.Cancel();
        socket.Dispose();
        try
        {
            receiver.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }
    }
}
