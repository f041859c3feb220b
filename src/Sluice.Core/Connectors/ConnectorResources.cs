using System.Collections.Concurrent;

namespace Sluice.Core.Connectors;

/// <summary>
/// Objects shared by every sync on one connection (a PostgreSQL data source, an HTTP client), created
/// on first use and disposed with the host.
/// </summary>
public sealed class ConnectorResources(TimeProvider time) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string Connection, Type Type), Lazy<object>> _shared = new();

    public TimeProvider Time { get; } = time;

    /// <summary>
    /// The delivery gate of a connection by name, as the host shares it between syncs and processes (the state store's
    /// rate budget); null when the host keeps none (a connector's own tests).
    /// </summary>
    public Func<string, Engine.DeliveryGate>? GateOf { get; set; }

    /// <summary>
    /// Where a connection keeps credentials its system rotates (<see cref="IConnectionCredentials"/>); null when the host
    /// has no state store (a connector's own tests), and then they live only as long as the process.
    /// </summary>
    public IConnectionCredentials? Credentials { get; set; }

    public T GetOrCreate<T>(string connection, Func<T> create) where T : class =>
        (T)_shared.GetOrAdd((connection, typeof(T)), _ => new Lazy<object>(() => create())).Value;

    public async ValueTask DisposeAsync()
    {
        foreach (var entry in _shared.Values.Where(v => v.IsValueCreated).Select(v => v.Value))
        {
            switch (entry)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }

        _shared.Clear();
    }
}
