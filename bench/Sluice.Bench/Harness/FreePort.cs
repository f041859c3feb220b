using System.Net;
using System.Net.Sockets;

namespace Sluice.Bench.Harness;

internal static class FreePort
{
    /// <summary>A port free right now on 127.0.0.1; the child that binds it may still race another process.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
