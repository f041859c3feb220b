using Sluice.Core.Errors;

namespace Sluice.Server.Metrics;

/// <summary>
/// The latest <see cref="SyncHealthSnapshot"/> for the health instruments, whose callbacks are synchronous: a scrape of
/// <c>/metrics</c> refreshes it first (and answers 503 when it cannot); a periodic OTLP export that finds it stale
/// refreshes it on the exporter's own thread.
/// </summary>
internal sealed class HealthSnapshotCache(SyncHealthCollector collector, TimeProvider time)
{
    /// <summary>How old a snapshot an OTLP export may use: the state store is read at most this often for it.</summary>
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private volatile SyncHealthSnapshot? _latest;

    public async Task RefreshAsync(CancellationToken ct)
    {
        await _refreshing.WaitAsync(ct);
        try
        {
            _latest = await collector.CollectAsync(ct);
        }
        finally
        {
            _refreshing.Release();
        }
    }

    /// <summary>The latest snapshot, refreshed first when stale; null when it cannot be read (the series are left out then).</summary>
    public SyncHealthSnapshot? Current()
    {
        var latest = _latest;
        if (latest is not null && time.GetUtcNow() - latest.At < MaxAge)
        {
            return latest;
        }

        try
        {
            RefreshAsync(CancellationToken.None).GetAwaiter().GetResult();
            return _latest;
        }
        catch (SluiceException)
        {
            return null;
        }
    }
}
