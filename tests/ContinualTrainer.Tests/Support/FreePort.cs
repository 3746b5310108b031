using System.Net;
using System.Net.Sockets;

namespace ContinualTrainer.Tests.Support;

/// <summary>A loopback TCP port that was free a moment ago (bound to port 0, read, released).</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
